import type { Clock } from '../ports/clock.js';

export interface ProgressUpdate {
  readonly percent: number;
  readonly message?: string;
}

/**
 * Coalesces progress reports: at most one emission per interval, and the latest value always
 * goes out (a trailing emission), so a hot loop calling progress() a million times costs a handful
 * of events while subscribers still see where the stage is.
 */
export class ProgressThrottle {
  readonly #intervalMs: number;
  readonly #emit: (update: ProgressUpdate) => void;
  readonly #clock: Clock;
  #lastEmitAt = Number.NEGATIVE_INFINITY;
  #pending: ProgressUpdate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #latest: ProgressUpdate | undefined;
  #closed = false;

  constructor(intervalMs: number, emit: (update: ProgressUpdate) => void, clock: Clock) {
    this.#intervalMs = intervalMs;
    this.#emit = emit;
    this.#clock = clock;
  }

  report(percent: number, message?: string): void {
    if (this.#closed || !Number.isFinite(percent)) return;
    const update: ProgressUpdate = {
      percent: Math.round(Math.min(100, Math.max(0, percent)) * 100) / 100,
      ...(message === undefined ? {} : { message }),
    };
    this.#latest = update;
    const now = this.#clock.now();
    if (now - this.#lastEmitAt >= this.#intervalMs) {
      this.#send(update, now);
      return;
    }
    this.#pending = update;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#flushPending(), this.#intervalMs - (now - this.#lastEmitAt));
      this.#timer.unref();
    }
  }

  /** The most recent report, emitted or not. */
  latest(): ProgressUpdate | undefined {
    return this.#latest;
  }

  /** Stops emitting; a pending trailing update is dropped (the stage's outcome supersedes it). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  #flushPending(): void {
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined && !this.#closed) this.#send(pending, this.#clock.now());
  }

  #send(update: ProgressUpdate, now: number): void {
    // An update sent directly supersedes a trailing one still waiting: sending that later would
    // go out of order (an older value after a newer one) and break the one-per-interval bound.
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    this.#lastEmitAt = now;
    this.#emit(update);
  }
}
