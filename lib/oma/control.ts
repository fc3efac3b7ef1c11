import { OmaCancelledError } from './errors.js';

/** Progress callback: `fraction` in [0, 1], never decreasing within one run. */
export type ProgressCallback = (fraction: number, message: string) => void;

/** What a long-running engine call accepts to be cancelled and to report progress. */
export interface RunControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressCallback;
}

/**
 * Throws when the signal has fired: its reason when that is an Error (a framework aborts with its
 * own cancellation error and expects it back, as `AbortSignal.throwIfAborted` does), else an
 * {@link OmaCancelledError} carrying the reason as text.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const reason: unknown = signal.reason;
  if (reason instanceof Error) throw reason;
  throw new OmaCancelledError(String(reason));
}

/** Milliseconds of synchronous work allowed between two yields to the event loop. */
const YIELD_EVERY_MS = 40;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Cooperative cancellation and progress for the engine's long loops. The numeric kernels are
 * synchronous; an abort (a timer, a control message) can only be delivered when the event loop
 * runs, so `tick()` yields to it every {@link YIELD_EVERY_MS} ms and then checks the signal. That
 * keeps abort latency far under a second whatever the record length, at negligible cost.
 *
 * A checkpoint covers the sub-range [start, end] of its parent's progress, so nested phases
 * report one monotonic fraction.
 */
export class Checkpoint {
  /** Shared by a checkpoint and all its children: one yield clock, one monotonic progress. */
  private readonly shared: { lastYield: number; reported: number };

  constructor(
    private readonly control: RunControl = {},
    private readonly start = 0,
    private readonly end = 1,
    shared?: { lastYield: number; reported: number },
  ) {
    this.shared = shared ?? { lastYield: performance.now(), reported: -1 };
  }

  /** A checkpoint for a sub-phase covering [from, to] of this one's range (fractions of it). */
  child(from: number, to: number): Checkpoint {
    const span = this.end - this.start;
    return new Checkpoint(this.control, this.start + span * from, this.start + span * to, this.shared);
  }

  get signal(): AbortSignal | undefined {
    return this.control.signal;
  }

  /** Throws at once if aborted (no yield). Use inside synchronous code. */
  check(): void {
    throwIfAborted(this.control.signal);
  }

  /**
   * Reports `fraction` (of this checkpoint's range) and, if enough time has passed, yields to the
   * event loop; throws (see {@link throwIfAborted}) if the signal fired.
   */
  async tick(fraction?: number, message = ''): Promise<void> {
    throwIfAborted(this.control.signal);
    if (fraction !== undefined) this.report(fraction, message);
    const now = performance.now();
    if (now - this.shared.lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.shared.lastYield = performance.now();
      throwIfAborted(this.control.signal);
    }
  }

  /** Reports progress without yielding; fractions that would go backwards are dropped. */
  report(fraction: number, message = ''): void {
    const onProgress = this.control.onProgress;
    if (onProgress === undefined) return;
    const clamped = Math.min(1, Math.max(0, fraction));
    const overall = this.start + (this.end - this.start) * clamped;
    if (overall < this.shared.reported) return;
    this.shared.reported = overall;
    onProgress(overall, message);
  }
}

/** A phase function's `control` argument may be a plain RunControl or a parent's child checkpoint. */
export function toCheckpoint(control: RunControl | Checkpoint = {}): Checkpoint {
  return control instanceof Checkpoint ? control : new Checkpoint(control);
}
