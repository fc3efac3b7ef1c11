import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../../lib/oma/linalg/random.js';
import { channelStats } from '../../../lib/oma/signal/channel-stats.js';
import { expectClose } from '../support/assert-close.js';

/** The per-channel statistics of the sensor check against direct computations. */
function gaussian(n: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  new Xoshiro128(seed).fillGaussian(x);
  return x;
}

describe('channel statistics', () => {
  it('equal the direct moments, extremes and block means, for Float64 and Float32 alike', () => {
    // Prepare
    const x = gaussian(100_003, 1).map((v) => 3 + 2 * v);
    const n = x.length;
    // Act
    const s = channelStats(x, { minRun: 10 });
    const f = channelStats(Float32Array.from(x), { minRun: 10 });
    // Assess
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expectClose(s.mean, mean, 1e-12 * Math.abs(mean), 'mean');
    expectClose(s.std, std, 1e-10 * std, 'std');
    expect(s.max).toBe(Math.max(...x));
    expect(s.min).toBe(Math.min(...x));
    expect([s.atMax, s.atMin]).toEqual([1, 1]);
    const first = x.subarray(0, Math.round(n / 32));
    expectClose(
      s.blockMeans[0] as number,
      first.reduce((a, b) => a + b, 0) / first.length,
      1e-12,
      'block mean',
    );
    let d2 = 0;
    for (let i = 3; i < n; i++)
      d2 +=
        ((x[i] as number) - 3 * (x[i - 1] as number) + 3 * (x[i - 2] as number) - (x[i - 3] as number)) ** 2;
    expectClose(s.diff3Std, Math.sqrt(d2 / (n - 3)), 1e-10 * s.diff3Std, 'third-difference std');
    expectClose(s.diff3Std / s.std, Math.sqrt(20), 0.05, 'white noise: std(Δ³x)/std(x) = √20');
    expectClose(s.median, 3, 0.05, 'median');
    expectClose(s.robustStd, 2, 0.05, '1.4826·MAD');
    expectClose(f.std, s.std, 1e-6 * s.std, 'Float32 std');
    expect([s.spikes, s.flatRuns]).toEqual([0, 0]);
  });

  it('counts spike events, runs of repeated values inside the range, and samples at the rails', () => {
    // Prepare
    const x = gaussian(50_000, 2);
    x[1000] = 30;
    x[2000] = -25;
    x[2001] = -25;
    x.fill(0.1, 5000, 5050);
    x[7000] = 100;
    x[7001] = 100;
    // Act
    const s = channelStats(x, { minRun: 10 });
    // Assess: 3 spike events (the pair counts once, the rail one too), one run of 50, 2 at max
    expect(s.spikes).toBe(3);
    expect([s.flatRuns, s.flatSamples]).toEqual([1, 50]);
    expect(s.atMax).toBe(2);
    expectClose(s.largestSpike, 100, 3, 'largest spike in robust σ');
  });
});
