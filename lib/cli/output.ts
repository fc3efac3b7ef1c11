import { createColors } from 'picocolors';

/**
 * The one output convention of every `stagecoach` command:
 * - on a terminal, tables with a header, times as ages ("3m ago"), durations, and colour;
 * - piped, the same columns tab-separated without a header, times in ISO 8601 and durations in
 *   seconds, no colour — for `cut`, `awk` and `sort`;
 * - `--json`, the records as JSON, for machines;
 * - a command that creates something prints only its id when piped or with `--quiet`, so that
 *   `ID=$(stagecoach … create …)` works.
 * Results go to stdout; warnings, hints and errors to stderr.
 */

export type Colors = ReturnType<typeof createColors>;

interface Stream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** Colour on a terminal unless NO_COLOR is set; FORCE_COLOR overrides both (as in Node itself). */
export function colorEnabled(stream: { readonly isTTY?: boolean }, env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago"; "in 9m" for the future. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((now - at) / 1000);
  const span = Math.abs(seconds);
  if (span < 2) return 'just now';
  const text =
    span < 60
      ? `${span}s`
      : span < 3600
        ? `${Math.floor(span / 60)}m`
        : span < 86_400
          ? `${Math.floor(span / 3600)}h`
          : `${Math.floor(span / 86_400)}d`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** 850ms, 4.2s, 3m 12s, 1h 04m. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Milliseconds between two ISO times (to now while `to` is absent). */
export function between(
  from: string | undefined,
  to: string | undefined,
  now = Date.now(),
): number | undefined {
  if (from === undefined) return undefined;
  const start = Date.parse(from);
  const end = to === undefined ? now : Date.parse(to);
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

export interface Column<T> {
  readonly header: string;
  /** The cell on a terminal. */
  readonly human: (row: T) => string;
  /** The cell when piped (default: the human one). */
  readonly plain?: (row: T) => string;
  readonly align?: 'left' | 'right';
  /** Colours a (padded) terminal cell. */
  readonly paint?: (text: string, row: T) => string;
}

export interface OutputOptions {
  readonly json?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly stdout?: Stream;
  readonly stderr?: Stream;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

export class Output {
  readonly tty: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  /** Colours for stdout (all no-ops when colour is off). */
  readonly c: Colors;
  /** Colours for stderr. */
  readonly ce: Colors;
  readonly now: () => number;
  readonly #out: Stream;
  readonly #err: Stream;

  constructor(options: OutputOptions = {}) {
    this.#out = options.stdout ?? process.stdout;
    this.#err = options.stderr ?? process.stderr;
    const env = options.env ?? process.env;
    this.tty = this.#out.isTTY === true;
    this.json = options.json === true;
    this.quiet = options.quiet === true;
    this.c = createColors(colorEnabled(this.#out, env));
    this.ce = createColors(colorEnabled(this.#err, env));
    this.now = options.now ?? Date.now;
  }

  /** A line on stdout. */
  line(text = ''): void {
    this.#out.write(`${text}\n`);
  }

  /** A line on stderr (warnings, hints, progress notes). */
  note(text: string): void {
    this.#err.write(`${text}\n`);
  }

  warn(text: string): void {
    this.note(`${this.ce.yellow('warning:')} ${text}`);
  }

  /** A hint for a person: only on a terminal, never with --quiet or --json. */
  hint(text: string): void {
    if (this.tty && !this.quiet && !this.json) this.note(this.ce.dim(text));
  }

  printJson(value: unknown): void {
    this.line(JSON.stringify(value, null, this.tty ? 2 : undefined));
  }

  /** A created thing: its id alone when piped or --quiet, else a sentence about it. */
  created(id: string, sentence: () => string): void {
    this.line(this.tty && !this.quiet ? sentence() : id);
  }

  /** Rows as an aligned table with a header (terminal) or tab-separated values (piped). */
  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    if (!this.tty) {
      for (const row of rows) {
        this.line(columns.map((col) => (col.plain ?? col.human)(row).replace(/[\t\n]/g, ' ')).join('\t'));
      }
      return;
    }
    const cells = rows.map((row) => columns.map((col) => col.human(row)));
    const widths = columns.map((col, i) =>
      Math.max(col.header.length, ...cells.map((r) => [...(r[i] ?? '')].length)),
    );
    const pad = (text: string, i: number): string => {
      const fill = ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...text].length));
      return columns[i]?.align === 'right' ? fill + text : text + fill;
    };
    const last = columns.length - 1;
    this.line(
      this.c.dim(
        columns
          .map((col, i) => (i === last && col.align !== 'right' ? col.header : pad(col.header, i)))
          .join('  '),
      ),
    );
    // The last column is cut to the terminal's width (before painting, so escapes stay whole).
    const before = widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0);
    const room = (this.#out.columns ?? 0) - before;
    rows.forEach((row, r) => {
      const texts = columns.map((_, i) => {
        const text = cells[r]?.[i] ?? '';
        if (i < last || columns[i]?.align === 'right') return pad(text, i);
        return room > 8 && [...text].length > room ? `${[...text].slice(0, room - 1).join('')}…` : text;
      });
      this.line(
        texts
          .map((text, i) => {
            const paint = columns[i]?.paint;
            return paint === undefined || text.trim() === '' ? text : paint(text, row);
          })
          .join('  '),
      );
    });
  }

  /** One row of a streamed table: no header; on a terminal the cells pad themselves. */
  tableRow<T>(row: T, columns: readonly Column<T>[]): void {
    if (!this.tty) {
      this.line(columns.map((col) => (col.plain ?? col.human)(row).replace(/[\t\n]/g, ' ')).join('\t'));
      return;
    }
    this.line(
      columns
        .map((col) => {
          const text = col.human(row);
          return col.paint === undefined ? text : col.paint(text, row);
        })
        .join('  ')
        .trimEnd(),
    );
  }

  /** `key  value` lines for one record. */
  details(pairs: readonly (readonly [string, string])[]): void {
    const width = Math.max(...pairs.map(([k]) => k.length));
    for (const [key, value] of pairs) {
      this.line(this.tty ? `${this.c.dim(key.padEnd(width))}  ${value}` : `${key}\t${value}`);
    }
  }

  /** A status in its colour: green DONE, red FAILED/ERROR, yellow waiting states, cyan running. */
  status(status: string, colors: Colors = this.c): string {
    switch (status) {
      case 'DONE':
      case 'done':
        return colors.green(status);
      case 'FAILED':
      case 'ERROR':
      case 'failed':
        return colors.red(status);
      case 'ABORTED':
      case 'aborted':
      case 'skipped':
        return colors.magenta(status);
      case 'RUNNING':
      case 'running':
        return colors.cyan(status);
      case 'RETRY_WAITING':
      case 'PAUSED':
      case 'HELD':
      case 'retrying':
      case 'paused':
      case 'held':
        return colors.yellow(status);
      default:
        return colors.dim(status);
    }
  }
}
