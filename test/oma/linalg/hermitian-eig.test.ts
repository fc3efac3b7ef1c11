import { describe, expect, it } from 'vitest';
import { HermitianEigenSolver } from '../../../lib/oma/linalg/hermitian-eig.js';
import { EPS, expectAtMost, testRandom } from '../support/assert-close.js';

/** A random Hermitian matrix (full storage) and, optionally, prescribed eigenvalue spread. */
function randomHermitian(n: number, seed: number): { re: Float64Array; im: Float64Array } {
  const r = testRandom(seed);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    re[i * n + i] = r();
    for (let j = 0; j < i; j++) {
      const a = r();
      const b = r();
      re[i * n + j] = a;
      im[i * n + j] = b;
      re[j * n + i] = a;
      im[j * n + i] = -b;
    }
  }
  return { re, im };
}

/** max_j ‖A v_j - λ_j v_j‖ and max |v_iᴴ v_j - δ_ij| over the computed vectors. */
function residuals(
  re: Float64Array,
  im: Float64Array,
  n: number,
  values: Float64Array,
  vr: Float64Array,
  vi: Float64Array,
  count: number,
): { residual: number; orthogonality: number } {
  let residual = 0;
  let orthogonality = 0;
  for (let j = 0; j < count; j++) {
    let r2 = 0;
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < n; k++) {
        const ar = re[i * n + k] as number;
        const ai = im[i * n + k] as number;
        const xr = vr[j * n + k] as number;
        const xi = vi[j * n + k] as number;
        sr += ar * xr - ai * xi;
        si += ar * xi + ai * xr;
      }
      sr -= (values[j] as number) * (vr[j * n + i] as number);
      si -= (values[j] as number) * (vi[j * n + i] as number);
      r2 += sr * sr + si * si;
    }
    residual = Math.max(residual, Math.sqrt(r2));
    for (let p = 0; p < count; p++) {
      let dr = 0;
      let di = 0;
      for (let i = 0; i < n; i++) {
        dr +=
          (vr[p * n + i] as number) * (vr[j * n + i] as number) +
          (vi[p * n + i] as number) * (vi[j * n + i] as number);
        di +=
          (vr[p * n + i] as number) * (vi[j * n + i] as number) -
          (vi[p * n + i] as number) * (vr[j * n + i] as number);
      }
      orthogonality = Math.max(orthogonality, Math.hypot(dr - (p === j ? 1 : 0), di));
    }
  }
  return { residual, orthogonality };
}

describe('HermitianEigenSolver', () => {
  for (const n of [1, 2, 3, 8, 24, 64]) {
    it(`decomposes a random ${n}×${n} Hermitian matrix: A V = V Λ, Vᴴ V = I, trace preserved`, () => {
      // Prepare
      const { re, im } = randomHermitian(n, n);
      const solver = new HermitianEigenSolver(n);
      const values = new Float64Array(n);
      const vr = new Float64Array(n * n);
      const vi = new Float64Array(n * n);
      // Act
      const ok = solver.decompose(re.slice(), im.slice(), values, n, vr, vi);
      // Assess
      expect(ok).toBe(true);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += re[i * n + i] as number;
      const sum = values.reduce((a, b) => a + b, 0);
      const scale = n * EPS * Math.max(1, Math.abs(values[0] as number), Math.abs(values[n - 1] as number));
      expectAtMost(Math.abs(sum - trace), 50 * scale, `trace difference (n=${n})`);
      for (let i = 1; i < n; i++) expect(values[i] as number).toBeLessThanOrEqual(values[i - 1] as number);
      const { residual, orthogonality } = residuals(re, im, n, values, vr, vi, n);
      expectAtMost(residual, 100 * scale, `‖AV - VΛ‖ (n=${n})`);
      expectAtMost(orthogonality, 100 * n * EPS, `‖VᴴV - I‖ (n=${n})`);
    });
  }

  it('gives the leading vectors by inverse iteration with the same accuracy as the full path', () => {
    // Prepare: a rank-2-dominated PSD matrix plus noise, as at an FDD line near two modes.
    const n = 24;
    const r = testRandom(99);
    const re = new Float64Array(n * n);
    const im = new Float64Array(n * n);
    const modes = [1000, 400].map((amp) => {
      const ur = Float64Array.from({ length: n }, () => r());
      const ui = Float64Array.from({ length: n }, () => 0.1 * r());
      return { amp, ur, ui };
    });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sr = i === j ? 1e-3 : 0;
        let si = 0;
        for (const { amp, ur, ui } of modes) {
          // amp · u_i conj(u_j)
          sr += amp * ((ur[i] as number) * (ur[j] as number) + (ui[i] as number) * (ui[j] as number));
          si += amp * ((ui[i] as number) * (ur[j] as number) - (ur[i] as number) * (ui[j] as number));
        }
        re[i * n + j] = sr;
        im[i * n + j] = si;
      }
    }
    const solver = new HermitianEigenSolver(n);
    const values = new Float64Array(n);
    const vr = new Float64Array(2 * n);
    const vi = new Float64Array(2 * n);
    // Act
    expect(solver.decompose(re.slice(), im.slice(), values, 2, vr, vi)).toBe(true);
    // Assess
    const { residual, orthogonality } = residuals(re, im, n, values, vr, vi, 2);
    const scale = n * EPS * (values[0] as number);
    expectAtMost(residual, 1000 * scale, '‖Av - λv‖ for the two leading vectors');
    expectAtMost(orthogonality, 1e3 * n * EPS, 'orthogonality of the two leading vectors');
  });

  it('separates a double eigenvalue into two orthogonal vectors (inverse-iteration path)', () => {
    // Prepare: Q diag(5, 5, 1, …, 1) Qᵀ with a random orthogonal Q (Gram–Schmidt of random columns).
    const n = 10;
    const r = testRandom(5);
    const q = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) q[i * n + j] = r();
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (q[i * n + j] as number) * (q[i * n + p] as number);
        for (let i = 0; i < n; i++) q[i * n + j] = (q[i * n + j] as number) - dot * (q[i * n + p] as number);
      }
      let nn = 0;
      for (let i = 0; i < n; i++) nn += (q[i * n + j] as number) ** 2;
      for (let i = 0; i < n; i++) q[i * n + j] = (q[i * n + j] as number) / Math.sqrt(nn);
    }
    const lam = Array.from({ length: n }, (_, k) => (k < 2 ? 5 : 1));
    const re = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++)
          v += (q[i * n + k] as number) * (lam[k] as number) * (q[j * n + k] as number);
        re[i * n + j] = v;
      }
    }
    const im = new Float64Array(n * n);
    const values = new Float64Array(n);
    const vr = new Float64Array(2 * n);
    const vi = new Float64Array(2 * n);
    // Act
    new HermitianEigenSolver(n).decompose(re.slice(), im.slice(), values, 2, vr, vi);
    // Assess
    const { residual, orthogonality } = residuals(re, im, n, values, vr, vi, 2);
    expectAtMost(residual, 1e-12, 'residual for a double eigenvalue');
    expectAtMost(orthogonality, 1e-10, 'orthogonality for a double eigenvalue');
  });

  it('gives orthonormal vectors, not NaN, for an all-zero matrix (an empty spectral line)', () => {
    // Prepare
    const n = 6;
    const values = new Float64Array(n);
    const vr = new Float64Array(2 * n);
    const vi = new Float64Array(2 * n);
    // Act
    const ok = new HermitianEigenSolver(n).decompose(
      new Float64Array(n * n),
      new Float64Array(n * n),
      values,
      2,
      vr,
      vi,
    );
    // Assess
    expect(ok).toBe(true);
    expect([...values]).toEqual(Array(n).fill(0));
    const { orthogonality } = residuals(
      new Float64Array(n * n),
      new Float64Array(n * n),
      n,
      values,
      vr,
      vi,
      2,
    );
    expectAtMost(orthogonality, 1e-12, 'orthonormality of the two vectors');
  });
});
