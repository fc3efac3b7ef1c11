/**
 * Retry policy and backoff, as pure functions of the retry number and a random source, so every
 * schedule is testable without timers.
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface Backoff {
  readonly type: 'exponential' | 'linear' | 'fixed';
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Growth factor per retry for `exponential`. @default 2 */
  readonly multiplier: number;
  /** Upper bound of any single delay. */
  readonly maxDelayMs: number;
  /**
   * `full`: uniform in [0, d]; `equal`: uniform in [d/2, d]; `none`: exactly d. Jitter spreads
   * retries of many jobs that failed together (a downstream outage) so they do not return in step.
   */
  readonly jitter: Jitter;
}

export interface RetryPolicy {
  /** Retries after the first attempt: 2 means 3 attempts in all. */
  readonly maxRetries: number;
  readonly backoff: Backoff;
}

export const DEFAULT_BACKOFF: Backoff = {
  type: 'exponential',
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 5 * 60_000,
  jitter: 'equal',
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 2, backoff: DEFAULT_BACKOFF };

/** The nominal delay before retry number `retry` (1-based), before jitter. */
export function nominalDelay(backoff: Backoff, retry: number): number {
  const n = Math.max(1, Math.floor(retry));
  let delay: number;
  switch (backoff.type) {
    case 'fixed':
      delay = backoff.initialDelayMs;
      break;
    case 'linear':
      delay = backoff.initialDelayMs * n;
      break;
    case 'exponential':
      delay = backoff.initialDelayMs * backoff.multiplier ** (n - 1);
      break;
  }
  return Math.min(delay, backoff.maxDelayMs);
}

/** The delay before retry number `retry` (1-based); `random` returns values in [0, 1). */
export function backoffDelay(backoff: Backoff, retry: number, random: () => number = Math.random): number {
  const nominal = nominalDelay(backoff, retry);
  switch (backoff.jitter) {
    case 'none':
      return Math.round(nominal);
    case 'full':
      return Math.round(random() * nominal);
    case 'equal':
      return Math.round(nominal / 2 + (random() * nominal) / 2);
  }
}

/** Whether another attempt is allowed after `retryCount` retries have been used. */
export const hasRetriesLeft = (policy: RetryPolicy, retryCount: number): boolean =>
  retryCount < policy.maxRetries;
