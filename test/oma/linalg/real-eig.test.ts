import { describe, expect, it } from 'vitest';
import { RealEigenSolver } from '../../../lib/oma/linalg/real-eig.js';
import { expectAtMost, randomArray } from '../support/assert-close.js';

/** max_j ‖A ψ_j - λ_j ψ_j‖ / ‖A‖ over all eigenpairs (conjugates are implied). */
function eigResidual(a: Float64Array, n: number, solver: RealEigenSolver): number {
  let normA = 0;
  for (let i = 0; i < n * n; i++) normA = Math.max(normA, Math.abs(a[i] as number));
  const vr = new Float64Array(n);
  const vi = new Float64Array(n);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    const li = solver.wi[j] as number;
    if (li < 0) continue;
    const lr = solver.wr[j] as number;
    solver.eigenvector(j, vr, vi);
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < n; k++) {
        sr += (a[i * n + k] as number) * (vr[k] as number);
        si += (a[i * n + k] as number) * (vi[k] as number);
      }
      sr -= lr * (vr[i] as number) - li * (vi[i] as number);
      si -= lr * (vi[i] as number) + li * (vr[i] as number);
      worst = Math.max(worst, Math.hypot(sr, si) / normA);
    }
  }
  return worst;
}

describe('RealEigenSolver', () => {
  for (const n of [1, 2, 3, 7, 30, 120]) {
    it(`finds eigenpairs of a random ${n}×${n} matrix with residual at machine precision`, () => {
      // Prepare
      const a = randomArray(n * n, 100 + n);
      const solver = new RealEigenSolver(n);
      // Act
      const ok = solver.decompose(a, n);
      // Assess
      expect(ok).toBe(true);
      let trace = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        trace += a[i * n + i] as number;
        sum += solver.wr[i] as number;
      }
      expectAtMost(Math.abs(trace - sum), 1e-12 * n * n, `trace vs Σλ (n=${n})`);
      expectAtMost(eigResidual(a, n, solver), 1e-12 * n, `max ‖Aψ - λψ‖/‖A‖ (n=${n})`);
    });
  }

  it('recovers prescribed lightly damped discrete poles of a block-diagonal system in a rotated basis', () => {
    // Prepare: A = S blockdiag(r_k [[cos θ_k, -sin θ_k], [sin θ_k, cos θ_k]]) S⁻¹, like an SSI state matrix.
    const modes = [
      { r: 0.999, theta: 0.05 },
      { r: 0.995, theta: 0.0505 },
      { r: 0.98, theta: 0.6 },
      { r: 0.9, theta: 2.5 },
    ];
    const n = 2 * modes.length;
    const block = new Float64Array(n * n);
    modes.forEach(({ r, theta }, k) => {
      const i = 2 * k;
      block[i * n + i] = r * Math.cos(theta);
      block[i * n + i + 1] = -r * Math.sin(theta);
      block[(i + 1) * n + i] = r * Math.sin(theta);
      block[(i + 1) * n + i + 1] = r * Math.cos(theta);
    });
    // S = I + 0.3·random, S⁻¹ by solving: use A S = S B ⇒ compute A = S B S⁻¹ via Gauss–Jordan.
    const s = randomArray(n * n, 9).map((v, idx) => 0.3 * v + (idx % (n + 1) === 0 ? 1 : 0));
    const sInv = invert(s, n);
    const a = mul(mul(s, block, n), sInv, n);
    const solver = new RealEigenSolver(n);
    // Act
    expect(solver.decompose(a, n)).toBe(true);
    // Assess
    const found = Array.from({ length: n }, (_, j) => ({
      re: solver.wr[j] as number,
      im: solver.wi[j] as number,
    }))
      .filter((p) => p.im > 0)
      .sort((x, y) => Math.atan2(x.im, x.re) - Math.atan2(y.im, y.re));
    expect(found.length).toBe(modes.length);
    modes.forEach(({ r, theta }, k) => {
      const p = found[k];
      expect(p).toBeDefined();
      if (p === undefined) return;
      expectAtMost(Math.abs(Math.hypot(p.re, p.im) - r), 1e-12, `|μ_${k}|`);
      expectAtMost(Math.abs(Math.atan2(p.im, p.re) - theta), 1e-12, `arg μ_${k}`);
    });
    expectAtMost(eigResidual(a, n, solver), 1e-12, 'eigenvector residual');
  });
});

function mul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++)
      for (let j = 0; j < n; j++)
        c[i * n + j] = (c[i * n + j] as number) + (a[i * n + k] as number) * (b[k * n + j] as number);
  return c;
}

function invert(a: Float64Array, n: number): Float64Array {
  const m = a.slice();
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++)
      if (Math.abs(m[i * n + k] as number) > Math.abs(m[p * n + k] as number)) p = i;
    for (let j = 0; j < n; j++) {
      [m[k * n + j], m[p * n + j]] = [m[p * n + j] as number, m[k * n + j] as number];
      [inv[k * n + j], inv[p * n + j]] = [inv[p * n + j] as number, inv[k * n + j] as number];
    }
    const d = m[k * n + k] as number;
    for (let j = 0; j < n; j++) {
      m[k * n + j] = (m[k * n + j] as number) / d;
      inv[k * n + j] = (inv[k * n + j] as number) / d;
    }
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = m[i * n + k] as number;
      for (let j = 0; j < n; j++) {
        m[i * n + j] = (m[i * n + j] as number) - f * (m[k * n + j] as number);
        inv[i * n + j] = (inv[i * n + j] as number) - f * (inv[k * n + j] as number);
      }
    }
  }
  return inv;
}
