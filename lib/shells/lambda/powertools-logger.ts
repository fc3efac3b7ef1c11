import type { Logger as PowertoolsLoggerClient } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { LogFields, Logger } from '../../core/ports/index.js';

function attributes(fields: LogFields | undefined): LogAttributes {
  return { ...fields };
}

/** The core's Logger port on Powertools Logger (structured JSON, Lambda context, sampling). */
export class PowertoolsLogger implements Logger {
  readonly #logger: PowertoolsLoggerClient;

  constructor(logger: PowertoolsLoggerClient) {
    this.#logger = logger;
  }

  debug(message: string, fields?: LogFields): void {
    this.#logger.debug(message, attributes(fields));
  }
  info(message: string, fields?: LogFields): void {
    this.#logger.info(message, attributes(fields));
  }
  warn(message: string, fields?: LogFields): void {
    this.#logger.warn(message, attributes(fields));
  }
  error(message: string, fields?: LogFields): void {
    this.#logger.error(message, attributes(fields));
  }
  child(fields: LogFields): Logger {
    return new PowertoolsLogger(this.#logger.createChild({ persistentKeys: attributes(fields) }));
  }
}
