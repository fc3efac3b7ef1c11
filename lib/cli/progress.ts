import cliProgress from 'cli-progress';
import type { Colors, Output } from './output.js';
import type { Change, StageBoard, StageRow } from './stage-board.js';

/**
 * The progress of a job's stages, the one renderer of `jobs … --watch`, `oma … --watch` and the
 * demo. On a terminal: a bar per stage, redrawn in place by cli-progress's MultiBar. Piped: a
 * line whenever a stage changes state, and progress at most once every few seconds, so a log of
 * a 100,000-item job stays short. Either way notes (a retry, a hold) print above the bars.
 */

export interface ProgressRenderer {
  /** Shows the board after `change` to `stage`. */
  update(board: StageBoard, stage: string, change: Change): void;
  /** A line above the bars (or in the log). */
  note(text: string): void;
  /** A warning above the bars (or on stderr, when piped). */
  warn(text: string): void;
  /** Draws the final state and releases the terminal. */
  stop(board: StageBoard): void;
}

type Sink = NodeJS.WritableStream & { readonly isTTY?: boolean };

export interface RendererOptions {
  readonly output: Output;
  /** Where bars or lines go. @default process.stdout */
  readonly stream?: Sink;
  /** Piped: the least time between two progress lines. @default STAGECOACH_PROGRESS_INTERVAL s, or 5 s */
  readonly intervalMs?: number;
  /** A label before each stage (e.g. the analysis). */
  readonly label?: string;
}

const GLYPH: Readonly<Record<string, string>> = {
  waiting: '·',
  queued: '·',
  running: '›',
  retrying: '↻',
  paused: '‖',
  held: '‖',
  done: '✓',
  failed: '✗',
  skipped: '-',
  aborted: '✗',
};

function paintState(row: StageRow, c: Colors): string {
  const text = `${GLYPH[row.state] ?? ' '} ${row.state}`;
  switch (row.state) {
    case 'done':
      return c.green(text);
    case 'failed':
    case 'aborted':
      return c.red(text);
    case 'running':
      return c.cyan(text);
    case 'retrying':
    case 'paused':
    case 'held':
      return c.yellow(text);
    default:
      return c.dim(text);
  }
}

/** `STAGECOACH_PROGRESS_INTERVAL` (seconds) sets how often a log shows progress; 5 s by default. */
function intervalFromEnv(): number {
  const seconds = Number(process.env.STAGECOACH_PROGRESS_INTERVAL ?? '');
  return process.env.STAGECOACH_PROGRESS_INTERVAL !== undefined && Number.isFinite(seconds) && seconds >= 0
    ? seconds * 1000
    : 5_000;
}

export function createRenderer(options: RendererOptions): ProgressRenderer {
  const stream = options.stream ?? process.stdout;
  return stream.isTTY === true ? new BarsRenderer(options, stream) : new LinesRenderer(options, stream);
}

/** In place on a terminal: one cli-progress bar per stage. */
class BarsRenderer implements ProgressRenderer {
  readonly #bars = new Map<string, cliProgress.SingleBar>();
  readonly #multi: cliProgress.MultiBar;
  readonly #c: Colors;
  readonly #label: string;
  #width = 8;

  constructor(options: RendererOptions, stream: Sink) {
    this.#c = options.output.c;
    this.#label = options.label === undefined ? '' : `${options.label} `;
    this.#multi = new cliProgress.MultiBar({
      stream,
      format: (_options, params, payload: { row: StageRow }) => this.#format(params.progress, payload.row),
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
      fps: 8,
      autopadding: true,
    });
  }

  #format(progress: number, row: StageRow): string {
    const size = 24;
    const filled = Math.round(Math.max(0, Math.min(1, progress)) * size);
    const bar = this.#c.cyan('█'.repeat(filled)) + this.#c.dim('░'.repeat(size - filled));
    const percent = `${String(row.percent).padStart(3)}%`;
    return `${this.#label}${row.stage.padEnd(this.#width)} ${bar} ${percent}  ${paintState(row, this.#c)}${row.message === '' ? '' : `  ${this.#c.dim(row.message)}`}`;
  }

  update(board: StageBoard): void {
    for (const row of board.rows()) {
      this.#width = Math.max(this.#width, row.stage.length);
      const bar = this.#bars.get(row.stage);
      if (bar === undefined) this.#bars.set(row.stage, this.#multi.create(100, row.percent, { row }));
      else bar.update(row.percent, { row });
    }
  }

  note(text: string): void {
    this.#multi.log(`${text}\n`);
  }

  warn(text: string): void {
    this.note(`${this.#c.yellow('warning:')} ${text}`);
  }

  stop(board: StageBoard): void {
    this.update(board);
    // Draw once more so that notes logged since the last frame are written before the bars stop.
    this.#multi.update();
    this.#multi.stop();
  }
}

/** Piped: a line per state change, progress at most every `intervalMs`. */
class LinesRenderer implements ProgressRenderer {
  readonly #stream: Sink;
  readonly #output: Output;
  readonly #intervalMs: number;
  readonly #label: string;
  readonly #printed = new Map<string, string>();
  #lastProgressAt = Number.NEGATIVE_INFINITY;

  constructor(options: RendererOptions, stream: Sink) {
    this.#stream = stream;
    this.#output = options.output;
    this.#intervalMs = options.intervalMs ?? intervalFromEnv();
    this.#label = options.label === undefined ? '' : `${options.label}  `;
  }

  #line(row: StageRow): string {
    // The percent says something while a stage runs, or where it stopped.
    const percent =
      row.state === 'running' || (row.percent > 0 && row.state !== 'done') ? `  ${row.percent}%` : '';
    return `${this.#label}${row.stage}  ${row.state}${percent}${row.message === '' ? '' : `  ${row.message}`}`;
  }

  update(board: StageBoard, stage: string, change: Change): void {
    const row = board.row(stage);
    if (row === undefined || change === 'stale') return;
    const line = this.#line(row);
    if (this.#printed.get(stage) === line) return;
    // A state change prints at once; progress at most every interval (counting from either).
    const now = this.#output.now();
    if (change === 'progress' && now - this.#lastProgressAt < this.#intervalMs) return;
    this.#lastProgressAt = now;
    this.#printed.set(stage, line);
    this.#stream.write(`${line}\n`);
  }

  note(text: string): void {
    this.#stream.write(`${text}\n`);
  }

  warn(text: string): void {
    this.#output.warn(text);
  }

  stop(): void {
    // Every state change is already on its own line.
  }
}
