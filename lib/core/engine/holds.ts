import type { Clock } from '../ports/clock.js';
import { type Hold, holdMatches } from '../ports/job.js';
import type { JobStore } from '../ports/job-store.js';

/**
 * Active holds, read from the store at most once per `ttlMs`, so checking every message against
 * them costs nothing on the hot path. `invalidate()` makes a change visible at once in-process.
 */
export class HoldCache {
  readonly #store: JobStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #holds: readonly Hold[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(store: JobStore, clock: Clock, ttlMs = 5_000) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  async match(tenantId: string, tags: Readonly<Record<string, string>>): Promise<Hold | undefined> {
    await this.#refresh();
    const now = this.#clock.now();
    return this.#holds.find(
      (hold) => hold.state === 'active' && Date.parse(hold.until) > now && holdMatches(hold, tenantId, tags),
    );
  }

  invalidate(): void {
    this.#loadedAt = Number.NEGATIVE_INFINITY;
  }

  async #refresh(): Promise<void> {
    if (this.#clock.now() - this.#loadedAt < this.#ttlMs) return;
    this.#loading ??= this.#store
      .listHolds({ active: true })
      .then((holds) => {
        this.#holds = holds;
        this.#loadedAt = this.#clock.now();
      })
      .finally(() => {
        this.#loading = undefined;
      });
    await this.#loading;
  }
}
