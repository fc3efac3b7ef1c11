import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  hasRetriesLeft,
  nominalDelay,
} from '../../../../lib/core/sdk/index.js';

const exp: Backoff = {
  type: 'exponential',
  initialDelayMs: 100,
  multiplier: 2,
  maxDelayMs: 1_000,
  jitter: 'none',
};

describe('backoff', () => {
  it('defaults to 2 retries, so 3 attempts', () => {
    expect(DEFAULT_RETRY_POLICY.maxRetries).toBe(2);
    expect([0, 1, 2].map((n) => hasRetriesLeft(DEFAULT_RETRY_POLICY, n))).toEqual([true, true, false]);
  });

  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(exp, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('supports linear and fixed schedules', () => {
    expect([1, 2, 3].map((n) => nominalDelay({ ...exp, type: 'linear' }, n))).toEqual([100, 200, 300]);
    expect([1, 2, 3].map((n) => nominalDelay({ ...exp, type: 'fixed' }, n))).toEqual([100, 100, 100]);
  });

  it('keeps full jitter within [0, d] and equal jitter within [d/2, d]', () => {
    for (const r of [0, 0.25, 0.999]) {
      const full = backoffDelay({ ...exp, jitter: 'full' }, 3, () => r);
      const equal = backoffDelay({ ...exp, jitter: 'equal' }, 3, () => r);
      expect(full).toBeGreaterThanOrEqual(0);
      expect(full).toBeLessThanOrEqual(400);
      expect(equal).toBeGreaterThanOrEqual(200);
      expect(equal).toBeLessThanOrEqual(400);
    }
    expect(backoffDelay({ ...exp, jitter: 'equal' }, 3, () => 0.5)).toBe(300);
  });

  it('treats retry numbers below one as the first retry', () => {
    expect(nominalDelay(exp, 0)).toBe(100);
  });
});
