import { describe, expect, it } from 'vitest';
import { jacobiSvd } from '../../../lib/oma/linalg/jacobi-svd.js';
import { RealEigenSolver } from '../../../lib/oma/linalg/real-eig.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { preprocessRecord } from '../../../lib/oma/run/preprocess.js';
import { clusterPoles } from '../../../lib/oma/ssi/clustering.js';
import { sharpestPole } from '../../../lib/oma/ssi/estimates.js';
import { shiftStructure, ssiCov, stateMatrix } from '../../../lib/oma/ssi/ssi.js';
import { stabilizationDiagram } from '../../../lib/oma/ssi/stabilization.js';
import { blockToeplitz } from '../../../lib/oma/ssi/toeplitz.js';
import { BlockToeplitzOperator } from '../../../lib/oma/ssi/toeplitz-operator.js';
import { firstOrderChanges } from '../../../lib/oma/ssi/uncertainty.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { EPS, expectArrayClose, expectAtLeast, expectAtMost, randomArray } from '../support/assert-close.js';
import { uniformFrame } from '../support/match.js';

/**
 * SSI-cov uncertainty (lib/oma/ssi/uncertainty.ts): the FFT products, the linearisation against
 * finite differences of the identification, and a small coverage check. The ≥ 50-record
 * coverage is the benchmark's (`npm run bench:oma -- --coverage`); here a few records only show
 * that σ has the right size.
 */

describe('BlockToeplitzOperator', () => {
  it('multiplies by T and Tᵀ exactly as the dense block Toeplitz matrix does', () => {
    // Prepare
    const l = 3;
    const r = 2;
    const br = 7;
    const data = randomArray((2 * br + 1) * l * r, 41);
    const t = blockToeplitz({ channels: l, references: [0, 2], maxLag: 2 * br, data }, br);
    const op = new BlockToeplitzOperator(l, r, br);
    const [p, q] = [br * l, br * r];
    const wr = randomArray(q, 42);
    const wi = randomArray(q, 43);
    const xr = randomArray(p, 44);
    const xi = randomArray(p, 45);
    // Act
    op.load(data);
    const out = { re: new Float64Array(p), im: new Float64Array(p) };
    op.times(wr, wi, out.re, out.im);
    const outT = { re: new Float64Array(q), im: new Float64Array(q) };
    op.transposeTimes(xr, xi, outT.re, outT.im);
    // Assess
    const dense = (m: number, n: number, at: (i: number, j: number) => number, x: Float64Array) =>
      Float64Array.from({ length: m }, (_, i) => {
        let s = 0;
        for (let j = 0; j < n; j++) s += at(i, j) * (x[j] as number);
        return s;
      });
    const tij = (i: number, j: number) => t.data[i * q + j] as number;
    const tji = (j: number, i: number) => t.data[i * q + j] as number;
    const tol = 100 * p * EPS;
    expectArrayClose(out.re, dense(p, q, tij, wr), tol, 'Re T w');
    expectArrayClose(out.im, dense(p, q, tij, wi), tol, 'Im T w');
    expectArrayClose(outT.re, dense(q, p, tji, xr), tol, 'Re Tᵀ x');
    expectArrayClose(outT.im, dense(q, p, tji, xi), tol, 'Im Tᵀ x');
  });
});

/** A 3-storey frame (3.0, 8.4, 12.2 Hz), 3 channels at 50 Hz with 5 % noise. */
const frame = uniformFrame(3, 3, 0.01, 0.02);
const FS = 50;
const FMAX = 20;

describe('first-order propagation', () => {
  it('matches central finite differences of the identification at the sharpest pole', async () => {
    // Prepare: an exact SVD, so the re-identification differs from the model only by ΔR.
    const rec = await simulateResponse(frame, { fs: FS, duration: 300, seed: 3, noiseFraction: 0.05 });
    const br = 12;
    const orderMax = 24;
    const ident = await ssiCov(rec.channels, FS, {
      br,
      orderMax,
      svd: 'exact',
      fmax: FMAX,
      uncertaintyBlocks: 10,
    });
    const model = ident.model;
    if (model === undefined) throw new Error('the identification kept no model');
    const diagram = stabilizationDiagram(ident);
    const clustered = clusterPoles(diagram, ident.orders.length);
    const poles = clustered.modes.map((_, k) =>
      sharpestPole(
        diagram.filter((_, i) => clustered.assignment[i] === k),
        ident.singularValues,
      ),
    );
    expect(poles.length).toBe(3);
    // A change of the correlations of a block's size: ΔR = block 2's sums minus its share of R.
    const corr = model.correlations;
    const stride = (corr.maxLag + 1) * 3 * 3;
    const starts = corr.blockStarts ?? new Int32Array(0);
    const n = rec.channels[0]?.length ?? 0;
    const delta = Float64Array.from({ length: stride }, (_, idx) => {
      const k = Math.floor(idx / 9);
      const count = (starts[3] as number) - (starts[2] as number);
      return ((corr.blockSums?.[2 * stride + idx] ?? 0) - count * (corr.data[idx] as number)) / (n - k);
    });
    // Act
    const linear = firstOrderChanges(
      model,
      FS,
      poles.map((p) => p ?? { order: 2, frequency: 1, damping: 0 }),
      [delta],
    );
    // Assess
    const eps = 1e-3;
    const at = (sign: number) =>
      Float64Array.from(corr.data, (x, i) => x + sign * eps * (delta[i] as number));
    poles.forEach((pole, k) => {
      if (pole === undefined) throw new Error(`mode ${k} has no pole`);
      const plus = poleOf(at(1), corr, br, orderMax, pole);
      const minus = poleOf(at(-1), corr, br, orderMax, pole);
      const fd = { f: (plus.f - minus.f) / (2 * eps), z: (plus.z - minus.z) / (2 * eps) };
      const lin = { f: linear[k]?.frequency[0] ?? Number.NaN, z: linear[k]?.damping[0] ?? Number.NaN };
      // Agreement relative to the derivative's size (the neglected discarded singular values,
      // σ_{n+1}/σ_n ≈ 0.01 here, and the O(ε²) of the difference quotient).
      expectAtMost(
        Math.abs(lin.f - fd.f),
        0.05 * Math.abs(fd.f) + 1e-9,
        `df/dR at ${pole.frequency.toFixed(2)} Hz (fd ${fd.f})`,
      );
      expectAtMost(
        Math.abs(lin.z - fd.z),
        0.05 * Math.abs(fd.z) + 1e-9,
        `dζ/dR at ${pole.frequency.toFixed(2)} Hz (fd ${fd.z})`,
      );
    });
  });
});

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

/** The pole at `order` nearest `target` after an exact SVD of the Toeplitz matrix of `data`. */
function poleOf(
  data: Float64Array,
  corr: { channels: number; references: readonly number[]; maxLag: number },
  br: number,
  orderMax: number,
  target: { order: number; frequency: number; damping: number },
): { f: number; z: number } {
  const t = blockToeplitz({ ...corr, data }, br);
  const a = new Float64Array(t.rows * t.cols);
  for (let i = 0; i < t.rows; i++)
    for (let j = 0; j < t.cols; j++) a[j * t.rows + i] = t.data[i * t.cols + j] as number;
  const sigma = new Float64Array(t.cols);
  jacobiSvd(a, t.rows, t.cols, sigma, new Float64Array(t.cols * t.cols));
  const svd = { k: orderMax, sigma: sigma.slice(0, orderMax), u: a.slice(0, t.rows * orderMax) };
  const shift = shiftStructure(svd, t.rows, corr.channels, orderMax);
  const n = target.order;
  const state = new Float64Array(n * n);
  stateMatrix(shift, n, state);
  const solver = new RealEigenSolver(n);
  solver.decompose(state, n);
  let best = { f: Number.NaN, z: Number.NaN, d: Number.POSITIVE_INFINITY };
  for (let j = 0; j < n; j++) {
    const mi = solver.wi[j] as number;
    if (!(mi > 0)) continue;
    const mr = solver.wr[j] as number;
    const re = Math.log(Math.hypot(mr, mi)) * FS;
    const mag = Math.hypot(re, Math.atan2(mi, mr) * FS);
    const f = mag / (2 * Math.PI);
    const z = -re / mag;
    const d = Math.abs(f - target.frequency) / target.frequency + Math.abs(z - target.damping);
    if (d < best.d) best = { f, z, d };
  }
  return best;
}

describe('SSI uncertainty in analyzeRecord', () => {
  it('gives every mode σ of frequency, damping and shape, and a MAC interval; none when switched off', async () => {
    // Prepare
    const rec = await simulateResponse(frame, { fs: FS, duration: 300, seed: 1, noiseFraction: 0.05 });
    // Act
    const on = await analyzeRecord(rec.channels, FS, { method: 'ssi', fmax: FMAX });
    const off = await analyzeRecord(rec.channels, FS, { method: 'ssi', fmax: FMAX, uncertainty: false });
    // Assess
    expect(on.modes).toHaveLength(3);
    for (const m of on.modes) {
      const u = m.uncertainty;
      if (u === undefined) throw new Error(`mode at ${m.frequency} Hz has no uncertainty`);
      expect(u.method).toBe('perturbation');
      expect(u.blocks).toBe(on.parameters.uncertaintyBlocks);
      expect(u.frequencyStd).toBeGreaterThan(0);
      expect(u.dampingStd).toBeGreaterThan(0);
      const shapeStd = u.shapeStd ?? new Float64Array(0);
      expect(shapeStd).toHaveLength(3);
      // The normalising (largest, +1) component has no scatter.
      expect(shapeStd[m.shape.indexOf(1)]).toBe(0);
      const [lo, hi] = u.macInterval ?? [Number.NaN, Number.NaN];
      expect(lo).toBeLessThanOrEqual(hi);
      expectAtLeast(lo, 0.9, `MAC interval's low end at ${m.frequency.toFixed(2)} Hz`);
      expectAtMost(hi, 1, 'MAC interval high end');
      expect(m.orderSpread?.frequency).toBeGreaterThanOrEqual(0);
    }
    expect(on.timings.uncertainty).toBeGreaterThan(0);
    for (const m of off.modes) expect(m.uncertainty).toBeUndefined();
  });

  it('reports σ of the size of the scatter over independent records (8 records; the benchmark runs 50)', async () => {
    // Prepare / Act: 8 records of 5 minutes, each mode's error in units of its own σ.
    const z: number[] = [];
    const ratios: string[] = [];
    const errors = Array.from(frame.frequencies, () => ({ f: [] as number[], sf: [] as number[] }));
    for (let seed = 11; seed <= 18; seed++) {
      const rec = await simulateResponse(frame, { fs: FS, duration: 300, seed, noiseFraction: 0.05 });
      const pre = await preprocessRecord(rec.channels, FS, { decimate: 1 });
      const result = await analyzeRecord(pre.channels, FS, {
        method: 'ssi',
        fmax: FMAX,
        orderMax: 40,
        decimate: 1,
        detrend: 'none',
      });
      rec.modes.forEach((truth, j) => {
        const m = nearest(result.modes, truth.frequency);
        const u = m?.uncertainty;
        if (m === undefined || u === undefined)
          throw new Error(`seed ${seed}: ${truth.frequency.toFixed(2)} Hz not found`);
        z.push((m.frequency - truth.frequency) / u.frequencyStd, (m.damping - truth.damping) / u.dampingStd);
        errors[j]?.f.push(m.frequency - truth.frequency);
        errors[j]?.sf.push(u.frequencyStd);
      });
    }
    // Assess: pooled over 3 modes × 2 parameters × 8 records, the errors in units of σ have an
    // RMS near 1 (48 values: ±10 % from sampling alone) and ~95 % lie within ±2σ.
    const rms = Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length);
    const inside = z.filter((v) => Math.abs(v) <= 2).length / z.length;
    for (const e of errors)
      ratios.push(
        (
          Math.sqrt(e.f.reduce((a, b) => a + b * b, 0) / e.f.length) /
          Math.sqrt(e.sf.reduce((a, b) => a + b * b, 0) / e.sf.length)
        ).toFixed(2),
      );
    expectAtLeast(rms, 0.7, `RMS of error/σ (per-mode RMS|Δf|/RMS σ_f: ${ratios.join(', ')})`);
    expectAtMost(rms, 1.4, `RMS of error/σ (per-mode RMS|Δf|/RMS σ_f: ${ratios.join(', ')})`);
    expectAtLeast(inside, 0.85, 'share of errors within ±2σ');
  });
});
