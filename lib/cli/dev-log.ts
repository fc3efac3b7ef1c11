import type { LogFields, Logger, LogLevel } from '../core/ports/logger.js';
import type { Colors } from './output.js';

/**
 * `stagecoach dev`'s logs for a person at a terminal: `12:34:56.789 INFO  job submitted
 * job_id=… pipeline=wordcount`, the level in colour, the fields that say which job and stage
 * first. Piped (or `--log-format json`) the runtime logs JSON lines instead (JsonLogger).
 */

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** The fields a reader looks for first, in this order; the rest follow as they come. */
const FIRST = ['job_id', 'pipeline', 'stage', 'attempt', 'status'];

function value(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

export interface PrettyLoggerOptions {
  readonly level?: LogLevel;
  readonly colors: Colors;
  readonly fields?: LogFields;
  /** Where lines go. @default stdout */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

export class PrettyLogger implements Logger {
  readonly #o: PrettyLoggerOptions;

  constructor(options: PrettyLoggerOptions) {
    this.#o = options;
  }

  #log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.#o.level ?? 'info']) return;
    const c = this.#o.colors;
    const all: Record<string, unknown> = { ...this.#o.fields, ...fields };
    const keys = [...FIRST.filter((k) => k in all), ...Object.keys(all).filter((k) => !FIRST.includes(k))];
    const pairs = keys
      .filter((k) => all[k] !== undefined)
      .map((k) => `${c.dim(`${k}=`)}${value(all[k])}`)
      .join(' ');
    const time = (this.#o.now?.() ?? new Date()).toISOString().slice(11, 23);
    const tag = {
      debug: c.gray('DEBUG'),
      info: c.cyan('INFO '),
      warn: c.yellow('WARN '),
      error: c.red('ERROR'),
    }[level];
    const stack = Object.values(all).find((v): v is Error => v instanceof Error)?.stack;
    const trace =
      level === 'error' && stack !== undefined ? `\n${c.dim(stack.split('\n').slice(1, 4).join('\n'))}` : '';
    const line = `${c.dim(time)} ${tag} ${message}${pairs === '' ? '' : `  ${pairs}`}${trace}`;
    (this.#o.write ?? ((text: string) => process.stdout.write(`${text}\n`)))(line);
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
    return new PrettyLogger({ ...this.#o, fields: { ...this.#o.fields, ...fields } });
  }
}
