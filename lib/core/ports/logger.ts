/**
 * Structured logging port. Library code logs through it, never through console; every line a stage
 * writes carries job_id, stage and attempt. In Lambda the shell plugs in Powertools Logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  readonly fields?: LogFields;
  /** Where lines go; defaults to stdout. */
  readonly write?: (line: string) => void;
}

function errorFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack?.split('\n').slice(0, 6).join('\n') }
        : value;
  }
  return out;
}

/** One JSON object per line: `{"level","time","message",...fields}`. */
export class JsonLogger implements Logger {
  readonly #level: LogLevel;
  readonly #fields: LogFields;
  readonly #write: (line: string) => void;

  constructor(options: JsonLoggerOptions = {}) {
    this.#level = options.level ?? 'info';
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  #log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.#level]) return;
    this.#write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        message,
        ...this.#fields,
        ...errorFields(fields),
      }),
    );
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger({ level: this.#level, fields: { ...this.#fields, ...fields }, write: this.#write });
  }
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
