import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressThrottle, type ProgressUpdate } from '../../../../lib/core/engine/index.js';
import { ManualClock } from '../../../../lib/core/ports/index.js';

describe('ProgressThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits at most once per interval and always the latest value last', () => {
    const clock = new ManualClock(0);
    const seen: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(250, (u) => seen.push(u), clock);
    for (let i = 0; i <= 1_000; i += 1) throttle.report(i / 10);
    clock.advance(250);
    vi.advanceTimersByTime(250);
    expect(seen).toEqual([{ percent: 0 }, { percent: 100 }]);
  });

  it('drops a waiting trailing update when a newer report goes out first', () => {
    // The stage's clock can reach the interval before the trailing timer fires: the report made
    // then is sent directly, and the older waiting value must not follow it.
    const clock = new ManualClock(0);
    const seen: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(100, (u) => seen.push(u), clock);
    throttle.report(10);
    throttle.report(20);
    clock.advance(100);
    throttle.report(30);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([{ percent: 10 }, { percent: 30 }]);
    throttle.report(40);
    clock.advance(100);
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([{ percent: 10 }, { percent: 30 }, { percent: 40 }]);
  });

  it('clamps percentages, keeps messages, and drops a pending update once closed', () => {
    const clock = new ManualClock(0);
    const seen: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(100, (u) => seen.push(u), clock);
    throttle.report(-5, 'starting');
    throttle.report(150, 'pending');
    throttle.close();
    vi.advanceTimersByTime(1_000);
    throttle.report(50);
    expect(seen).toEqual([{ percent: 0, message: 'starting' }]);
    expect(throttle.latest()).toEqual({ percent: 100, message: 'pending' });
  });

  it('ignores values that are not numbers', () => {
    const seen: ProgressUpdate[] = [];
    const throttle = new ProgressThrottle(100, (u) => seen.push(u), new ManualClock(0));
    throttle.report(Number.NaN);
    expect(seen).toEqual([]);
  });
});
