import { describe, expect, it } from 'vitest';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { preprocessRecord } from '../../../lib/oma/run/preprocess.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost } from '../support/assert-close.js';
import { uniformFrame } from '../support/match.js';

/**
 * FDD/EFDD uncertainty (lib/oma/fdd/uncertainty.ts): the jackknife over groups of Welch segments
 * in the results, and a small coverage check; the ≥ 50-record coverage is the benchmark's
 * (`npm run bench:oma -- --coverage`).
 */
const frame = uniformFrame(3, 3, 0.01, 0.02);
const FS = 50;
const FMAX = 20;

/** The mode nearest in frequency (within 5 %). */
function nearest<M extends { frequency: number }>(modes: readonly M[], f: number): M | undefined {
  let best: M | undefined;
  for (const m of modes)
    if (
      Math.abs(m.frequency / f - 1) < 0.05 &&
      (best === undefined || Math.abs(m.frequency - f) < Math.abs(best.frequency - f))
    )
      best = m;
  return best;
}

describe('EFDD and FDD uncertainty in analyzeRecord', () => {
  it('gives every EFDD and FDD mode σ of frequency, damping and shape from the segments; none when off', async () => {
    // Prepare
    const rec = await simulateResponse(frame, { fs: FS, duration: 600, seed: 1, noiseFraction: 0.05 });
    for (const method of ['efdd', 'fdd'] as const) {
      // Act
      const result = await analyzeRecord(rec.channels, FS, { method, fmax: FMAX });
      const off = await analyzeRecord(rec.channels, FS, { method, fmax: FMAX, uncertainty: false });
      // Assess
      expect(result.modes).toHaveLength(3);
      expect(result.parameters.uncertaintyBlocks).toBeGreaterThanOrEqual(8);
      for (const m of result.modes) {
        const u = m.uncertainty;
        if (u === undefined) throw new Error(`${method}: mode at ${m.frequency} Hz has no uncertainty`);
        expect(u.method).toBe('segments');
        expect(u.blocks).toBe(result.parameters.uncertaintyBlocks);
        expect(u.frequencyStd).toBeGreaterThan(0);
        expect(u.dampingStd).toBeGreaterThan(0);
        // A few per mille of the frequency, a fraction of the damping: the right order of size.
        expectAtMost(
          u.frequencyStd / m.frequency,
          0.01,
          `${method} relative σ_f at ${m.frequency.toFixed(2)} Hz`,
        );
        expectAtMost(u.dampingStd / m.damping, 0.6, `${method} relative σ_ζ at ${m.frequency.toFixed(2)} Hz`);
        const shapeStd = u.shapeStd ?? new Float64Array(0);
        expect(shapeStd).toHaveLength(3);
        expectAtMost(shapeStd[m.shape.indexOf(1)] ?? 1, 1e-12, 'σ of the normalising component');
        const [lo, hi] = u.macInterval ?? [Number.NaN, Number.NaN];
        expect(lo).toBeLessThanOrEqual(hi);
        expectAtLeast(lo, 0.9, `${method} MAC interval's low end at ${m.frequency.toFixed(2)} Hz`);
      }
      for (const m of off.modes) expect(m.uncertainty).toBeUndefined();
    }
  });

  it('says so, and reports none, when the spectrum averages too few segments', async () => {
    // Prepare: 4096-line segments of a 5-minute record at 50 Hz leave 6 segments.
    const rec = await simulateResponse(frame, { fs: FS, duration: 300, seed: 2, noiseFraction: 0.05 });
    // Act
    const result = await analyzeRecord(rec.channels, FS, { method: 'efdd', fmax: FMAX, nperseg: 4096 });
    // Assess
    for (const m of result.modes) expect(m.uncertainty).toBeUndefined();
    expect(result.warnings.join('\n')).toMatch(/no uncertainty: the spectrum averages 6 segments/);
  });

  it('reports σ of the size of the scatter over independent records (8 records; the benchmark runs 50)', async () => {
    // Prepare / Act: 8 records of 10 minutes; each mode's EFDD estimates and their σ.
    const estimates = Array.from(frame.frequencies, () => ({
      f: [] as number[],
      z: [] as number[],
      sf: [] as number[],
      sz: [] as number[],
    }));
    for (let seed = 21; seed <= 28; seed++) {
      const rec = await simulateResponse(frame, { fs: FS, duration: 600, seed, noiseFraction: 0.05 });
      const pre = await preprocessRecord(rec.channels, FS, { decimate: 1 });
      const result = await analyzeRecord(pre.channels, FS, {
        method: 'efdd',
        fmax: FMAX,
        decimate: 1,
        detrend: 'none',
      });
      rec.modes.forEach((truth, j) => {
        const m = nearest(result.modes, truth.frequency);
        const u = m?.uncertainty;
        const e = estimates[j];
        if (m === undefined || u === undefined || e === undefined)
          throw new Error(`seed ${seed}: ${truth.frequency.toFixed(2)} Hz not found`);
        e.f.push(m.frequency);
        e.z.push(m.damping);
        e.sf.push(u.frequencyStd);
        e.sz.push(u.dampingStd);
      });
    }
    // Assess: σ is the scatter, not the bias (EFDD's damping of the highest mode is biased by
    // the bell's truncation), so errors are taken from the records' mean. Pooled over 3 modes ×
    // 2 parameters × 8 records, they have an RMS of √(7/8) ≈ 0.94 in units of σ when σ is right
    // (±10 % from sampling alone), and ~95 % lie within ±2σ.
    const z: number[] = [];
    for (const e of estimates) {
      for (const [x, s] of [
        [e.f, e.sf],
        [e.z, e.sz],
      ] as const) {
        const mean = x.reduce((a, b) => a + b, 0) / x.length;
        for (const [i, v] of x.entries()) z.push((v - mean) / (s[i] as number));
      }
    }
    const rms = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length);
    const inside = z.filter((v) => Math.abs(v) <= 2).length / z.length;
    expectAtLeast(rms, 0.65, 'RMS of (estimate − mean)/σ');
    expectAtMost(rms, 1.3, 'RMS of (estimate − mean)/σ');
    expectAtLeast(inside, 0.85, 'share within ±2σ of the mean');
  });
});
