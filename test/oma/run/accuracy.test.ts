import { describe, expect, it } from 'vitest';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { preprocessRecord } from '../../../lib/oma/run/preprocess.js';
import { ssiCov } from '../../../lib/oma/ssi/ssi.js';
import {
  modalModelFromMatrices,
  modalModelFromModes,
  randomOrthonormalShapes,
  shearFrame,
  simulateResponse,
} from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost } from '../support/assert-close.js';
import { describeModes, match, mean } from '../support/match.js';

/**
 * Accuracy on generated structures with known modes (30-minute records at 400 Hz, 5 % measurement
 * noise, white-noise forces at every DOF), through the engine's entry point with its defaults
 * (fmax = 20 Hz → decimation by 4 → 100 Hz). Each identified mode is matched to the true mode
 * with the highest MAC within ±5 % in frequency.
 */
const FMAX = 20;

/** Five-storey shear frame, f₁ = 3 Hz (modes 3.0, 8.8, 13.8, 17.7, 20.2 Hz), ζ 1–2.5 %. */
async function frameRecord() {
  const n = 5;
  const s = Math.sin(Math.PI / (2 * (2 * n + 1)));
  const k = ((2 * Math.PI * 3) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(n).fill(1000), Array(n).fill(k));
  const model = modalModelFromMatrices(mass, stiffness, n, [0.01, 0.015, 0.02, 0.02, 0.025]);
  return simulateResponse(model, { fs: 400, duration: 1800, seed: 1, noiseFraction: 0.05 });
}

/** Six DOFs built from chosen modes, two of them 2 % apart (7.00 and 7.14 Hz). */
async function closeModesRecord() {
  const model = modalModelFromModes(
    [1.6, 4.2, 7.0, 7.14, 11.3, 16.8],
    [0.015, 0.01, 0.01, 0.01, 0.02, 0.015],
    randomOrthonormalShapes(6, 7),
  );
  return simulateResponse(model, { fs: 400, duration: 1800, seed: 1, noiseFraction: 0.05 });
}

const frame = await frameRecord();
const close = await closeModesRecord();
const frameTruth = frame.modes.filter((m) => m.frequency <= FMAX);
const closeTruth = close.modes.filter((m) => m.frequency <= FMAX);

describe('SSI-cov accuracy', () => {
  it('finds every mode in the band and nothing else: mean |Δf| ≤ 0.1 %, MAC ≥ 0.99, mean |Δζ| ≤ 10 %', async () => {
    // Act
    const result = await analyzeRecord(frame.channels, 400, { method: 'ssi', fmax: FMAX });
    // Assess
    const { matches, missing, spurious } = match(result.modes, frameTruth);
    expect(missing, `missing modes: ${describeModes(missing)}`).toHaveLength(0);
    expect(spurious, `spurious modes: ${describeModes(spurious)}`).toHaveLength(0);
    const df = mean(matches.map((m) => Math.abs(m.mode.frequency - m.truth.frequency) / m.truth.frequency));
    const dz = mean(matches.map((m) => Math.abs(m.mode.damping - m.truth.damping) / m.truth.damping));
    expectAtMost(100 * df, 0.1, 'SSI mean frequency error %');
    expectAtMost(100 * dz, 10, 'SSI mean damping error %');
    for (const m of matches) expectAtLeast(m.mac, 0.99, `MAC of the ${m.truth.frequency.toFixed(2)} Hz mode`);
    for (const m of matches) expect(m.mode.orderSpread?.frequency).toBeGreaterThanOrEqual(0);
    expect(result.stabilization?.poles.some((p) => p.stable && p.mode >= 0)).toBe(true);
  });

  it('separates the two modes 2 % apart as well', async () => {
    // Act
    const result = await analyzeRecord(close.channels, 400, { method: 'ssi', fmax: FMAX });
    // Assess
    const { matches, missing, spurious } = match(result.modes, closeTruth);
    expect(missing, `missing modes: ${describeModes(missing)}`).toHaveLength(0);
    expect(spurious, `spurious modes: ${describeModes(spurious)}`).toHaveLength(0);
    for (const m of matches) expectAtLeast(m.mac, 0.99, `MAC of the ${m.truth.frequency.toFixed(2)} Hz mode`);
  });

  it('gives the same modes with the randomized truncated SVD as with an exact SVD', async () => {
    // Prepare: ten minutes of the frame, decimated to 100 Hz
    const pre = await preprocessRecord(
      frame.channels.map((c) => c.subarray(0, 240000)),
      400,
      { decimate: 4 },
    );
    const options = { br: 30, orderMax: 40, fmax: FMAX } as const;
    // Act
    const fast = await ssiCov(pre.channels, pre.fs, { ...options, svd: 'randomized' });
    const exact = await ssiCov(pre.channels, pre.fs, { ...options, svd: 'exact' });
    // Assess: the leading singular values (the 8 states of the 4 modes in band and more) and
    // every lightly damped pole at the top order agree closely
    for (let i = 0; i < 20; i++) {
      const a = fast.singularValues[i] as number;
      const b = exact.singularValues[i] as number;
      expectAtMost(Math.abs(a - b) / b, i < 10 ? 1e-8 : 1e-6, `σ_${i} relative difference`);
    }
    const nearest = (id: typeof fast, orderIndex: number, f: number): number => {
      const poles = (id.poles[orderIndex] ?? []).filter((p) => p.inRange);
      return poles.reduce(
        (best, p) => (Math.abs(p.frequency - f) < Math.abs(best - f) ? p.frequency : best),
        0,
      );
    };
    // Physical poles: identical to rounding at low orders, ≤ 1e-6 relative up to half the
    // highest order, ≤ 1e-4 at the highest (which also uses the least accurate, noise-subspace
    // singular vectors) — all far below the ~1e-3 statistical frequency error of the record.
    const half = fast.orders.indexOf(20);
    const top = fast.orders.length - 1;
    for (const t of frameTruth) {
      for (const [index, tolerance] of [
        [half, 1e-6],
        [top, 1e-4],
      ] as const) {
        const a = nearest(fast, index, t.frequency);
        const b = nearest(exact, index, t.frequency);
        expectAtMost(
          Math.abs(a - b) / b,
          tolerance,
          `${t.frequency.toFixed(2)} Hz pole at order ${fast.orders[index]}, relative difference`,
        );
      }
    }
  });
});

describe('FDD accuracy', () => {
  it('finds every mode including the pair 2 % apart, with no spurious peak', async () => {
    // Act
    const result = await analyzeRecord(close.channels, 400, { method: 'fdd', fmax: FMAX });
    // Assess
    const { matches, missing, spurious } = match(result.modes, closeTruth);
    expect(
      missing,
      `missing modes: ${describeModes(missing)}; found ${describeModes(result.modes)}`,
    ).toHaveLength(0);
    expect(spurious, `spurious modes: ${describeModes(spurious)}`).toHaveLength(0);
    const df = mean(matches.map((m) => Math.abs(m.mode.frequency - m.truth.frequency) / m.truth.frequency));
    expectAtMost(100 * df, 0.5, 'FDD mean frequency error %');
    for (const m of matches) expectAtLeast(m.mac, 0.95, `MAC of the ${m.truth.frequency.toFixed(2)} Hz mode`);
    expect(result.singularValues?.values.length).toBe(6);
  });

  it('finds the frame modes with no spurious peak', async () => {
    const result = await analyzeRecord(frame.channels, 400, { method: 'fdd', fmax: FMAX });
    const { missing, spurious } = match(result.modes, frameTruth);
    expect(missing, `missing modes: ${describeModes(missing)}`).toHaveLength(0);
    expect(spurious, `spurious modes: ${describeModes(spurious)}`).toHaveLength(0);
  });
});

describe('EFDD accuracy', () => {
  for (const [name, record, truth] of [
    ['shear frame', frame, frameTruth],
    ['structure with close modes', close, closeTruth],
  ] as const) {
    it(`estimates damping of the ${name} with mean |Δζ| ≤ 25 %`, async () => {
      // Act
      const result = await analyzeRecord(record.channels, 400, { method: 'efdd', fmax: FMAX });
      // Assess
      const { matches, missing } = match(result.modes, truth);
      expect(missing, `missing modes: ${describeModes(missing)}`).toHaveLength(0);
      const failed = matches.filter((m) => !Number.isFinite(m.mode.damping));
      expect(failed.map((m) => m.mode.error)).toEqual([]);
      const dz = mean(matches.map((m) => Math.abs(m.mode.damping - m.truth.damping) / m.truth.damping));
      expectAtMost(100 * dz, 25, `EFDD mean damping error % (${name})`);
      const df = mean(matches.map((m) => Math.abs(m.mode.frequency - m.truth.frequency) / m.truth.frequency));
      expectAtMost(100 * df, 0.3, `EFDD mean frequency error % (${name})`);
    });
  }
});
