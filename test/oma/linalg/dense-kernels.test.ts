import { describe, expect, it } from 'vitest';
import { ComplexLu } from '../../../lib/oma/linalg/complex-lu.js';
import { expm, multiply } from '../../../lib/oma/linalg/expm.js';
import { orthonormalize } from '../../../lib/oma/linalg/gram-schmidt.js';
import { jacobiSvd } from '../../../lib/oma/linalg/jacobi-svd.js';
import { luFactor, luSolve } from '../../../lib/oma/linalg/lu.js';
import { randomizedSvd } from '../../../lib/oma/linalg/randomized-svd.js';
import {
  EPS,
  expectArrayClose,
  expectAtMost,
  expectClose,
  randomArray,
  testRandom,
} from '../support/assert-close.js';

/** Max |QᵀQ - I| for a column-major m×k panel. */
function orthogonalityError(q: Float64Array, m: number, k: number): number {
  let worst = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += (q[a * m + i] as number) * (q[b * m + i] as number);
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

describe('orthonormalize (CGS2 thin QR)', () => {
  it('gives orthonormal columns and reconstructs X = Q R, even when ill-conditioned', () => {
    // Prepare: columns with norms spread over 10 orders of magnitude and a near-dependence.
    const m = 200;
    const k = 30;
    const x = randomArray(m * k, 11);
    for (let j = 0; j < k; j++)
      for (let i = 0; i < m; i++) x[j * m + i] = (x[j * m + i] as number) * 10 ** (-j / 3);
    for (let i = 0; i < m; i++) x[5 * m + i] = (x[4 * m + i] as number) + 1e-9 * (x[5 * m + i] as number);
    const original = x.slice();
    const r = new Float64Array(k * k);
    // Act
    const rank = orthonormalize(x, m, k, r);
    // Assess
    expect(rank).toBe(k);
    expectAtMost(orthogonalityError(x, m, k), 10 * m * EPS, '‖QᵀQ - I‖max');
    let worst = 0;
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let p = 0; p <= j; p++) s += (x[p * m + i] as number) * (r[p * k + j] as number);
        worst = Math.max(worst, Math.abs(s - (original[j * m + i] as number)));
      }
    }
    expectAtMost(worst, 10 * m * EPS, '‖QR - X‖max');
  });
});

describe('jacobiSvd', () => {
  it('reconstructs A = U Σ Vᵀ with orthonormal U, V and sorted σ', () => {
    // Prepare
    const m = 40;
    const n = 25;
    const a = randomArray(m * n, 3);
    const original = a.slice();
    const sigma = new Float64Array(n);
    const v = new Float64Array(n * n);
    // Act
    expect(jacobiSvd(a, m, n, sigma, v)).toBe(true);
    // Assess
    for (let j = 1; j < n; j++) expect(sigma[j] as number).toBeLessThanOrEqual(sigma[j - 1] as number);
    expectAtMost(orthogonalityError(a, m, n), 50 * m * EPS, '‖UᵀU - I‖');
    expectAtMost(orthogonalityError(v, n, n), 50 * n * EPS, '‖VᵀV - I‖');
    let worst = 0;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let p = 0; p < n; p++)
          s += (a[p * m + i] as number) * (sigma[p] as number) * (v[p * n + j] as number);
        worst = Math.max(worst, Math.abs(s - (original[j * m + i] as number)));
      }
    }
    expectAtMost(worst, 50 * m * EPS * (sigma[0] as number), '‖UΣVᵀ - A‖max');
  });
});

describe('randomizedSvd', () => {
  it('matches the leading triplets of a full SVD on a matrix with a decaying spectrum', async () => {
    // Prepare: T = U diag(σ) Vᵀ with σ_j = 10^{-j/8} plus a flat noise floor 1e-6 (SSI-like).
    const rows = 240;
    const cols = 200;
    const rank = 200;
    const u = randomArray(rows * rank, 21);
    const w = randomArray(cols * rank, 22);
    orthonormalize(u, rows, rank);
    orthonormalize(w, cols, rank);
    const t = new Float64Array(rows * cols);
    for (let j = 0; j < rank; j++) {
      const s = 10 ** (-j / 8) + 1e-6;
      for (let r = 0; r < rows; r++) {
        const ur = s * (u[j * rows + r] as number);
        for (let c = 0; c < cols; c++)
          t[r * cols + c] = (t[r * cols + c] as number) + ur * (w[j * cols + c] as number);
      }
    }
    const k = 40;
    // Act
    const svd = await randomizedSvd(t, rows, cols, k, { rightVectors: true });
    // Assess: singular values to relative 1e-10, vectors by |cos| between computed and true, and
    // the right vectors paired with the left ones: T v_j = σ_j u_j.
    for (let j = 0; j < k; j++) {
      const exact = 10 ** (-j / 8) + 1e-6;
      expectClose(svd.sigma[j] as number, exact, 1e-10 * exact + 1e-13, `σ_${j}`);
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += (svd.u[j * rows + r] as number) * (u[j * rows + r] as number);
      expectClose(Math.abs(dot), 1, 1e-8, `|⟨u_${j}, u_${j} exact⟩|`);
    }
    const v = svd.v ?? new Float64Array(0);
    expect(v.length).toBe(cols * k);
    expectAtMost(orthogonalityError(v, cols, k), 1e3 * cols * EPS, '‖VᵀV - I‖max');
    for (let j = 0; j < 10; j++) {
      const tv = new Float64Array(rows);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          tv[r] = (tv[r] as number) + (t[r * cols + c] as number) * (v[j * cols + c] as number);
      const su = Float64Array.from(
        { length: rows },
        (_, r) => (svd.sigma[j] as number) * (svd.u[j * rows + r] as number),
      );
      expectArrayClose(tv, su, 1e-9, `T v_${j} = σ_${j} u_${j}`);
    }
  });
});

describe('luFactor / luSolve', () => {
  it('solves a random system to a residual at machine precision', () => {
    // Prepare
    const n = 30;
    const a = randomArray(n * n, 5);
    const x = randomArray(n, 6);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) b[i] = (b[i] as number) + (a[i * n + j] as number) * (x[j] as number);
    // Act
    const f = luFactor(a.slice(), n);
    luSolve(f, b, 1);
    // Assess
    expect(f.nonSingular).toBe(true);
    expectArrayClose(b, x, 1e4 * n * EPS, 'solution');
  });
});

describe('ComplexLu', () => {
  it('solves a random complex system to a residual at machine precision', () => {
    // Prepare
    const n = 25;
    const are = randomArray(n * n, 31);
    const aim = randomArray(n * n, 32);
    const xre = randomArray(n, 33);
    const xim = randomArray(n, 34);
    const bre = new Float64Array(n);
    const bim = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const ar = are[i * n + j] as number;
        const ai = aim[i * n + j] as number;
        bre[i] = (bre[i] as number) + ar * (xre[j] as number) - ai * (xim[j] as number);
        bim[i] = (bim[i] as number) + ar * (xim[j] as number) + ai * (xre[j] as number);
      }
    }
    // Act
    const lu = new ComplexLu(are.slice(), aim.slice(), n);
    lu.solve(bre, bim);
    // Assess
    expect(lu.nonSingular).toBe(true);
    expectArrayClose(bre, xre, 1e4 * n * EPS, 'real part of the solution');
    expectArrayClose(bim, xim, 1e4 * n * EPS, 'imaginary part of the solution');
  });
});

describe('expm', () => {
  it('agrees with the Taylor series for a small matrix', () => {
    // Prepare
    const n = 5;
    const r = testRandom(8);
    const a = Float64Array.from({ length: n * n }, () => 0.3 * r());
    let term = new Float64Array(n * n);
    for (let i = 0; i < n; i++) term[i * n + i] = 1;
    const series = term.slice();
    for (let k = 1; k < 30; k++) {
      term = multiply(term, a, n).map((v) => v / k);
      for (let i = 0; i < n * n; i++) series[i] = (series[i] as number) + (term[i] as number);
    }
    // Act
    const e = expm(a, n);
    // Assess
    expectArrayClose(e, series, 20 * EPS, 'expm vs Taylor');
  });

  it('reproduces the exact transition matrix of a damped oscillator and exp(A)·exp(-A) = I', () => {
    // Prepare: ẋ = [[0, 1], [-ω², -2ζω]] x over dt; closed form from the underdamped response.
    const omega = 2 * Math.PI * 7.3;
    const zeta = 0.03;
    const dt = 0.37; // many periods: exercises scaling and squaring
    const a = Float64Array.from([0, dt, -omega * omega * dt, -2 * zeta * omega * dt]);
    const wd = omega * Math.sqrt(1 - zeta * zeta);
    const ex = Math.exp(-zeta * omega * dt);
    const c = Math.cos(wd * dt);
    const s = Math.sin(wd * dt);
    const exact = [
      ex * (c + ((zeta * omega) / wd) * s),
      (ex * s) / wd,
      (-ex * omega * omega * s) / wd,
      ex * (c - ((zeta * omega) / wd) * s),
    ];
    // Act
    const e = expm(a, 2);
    const inv = expm(
      a.map((v) => -v),
      2,
    );
    // Assess: relative to the entries' scale (ω² ≈ 2100) and the ~10 squarings' error growth
    expectArrayClose(
      e.map((v, i) => v / Math.max(1, Math.abs(exact[i] as number))),
      exact.map((v) => v / Math.max(1, Math.abs(v))),
      1e-11,
      'expm vs closed form',
    );
    const prod = multiply(e, inv, 2);
    expectArrayClose(prod, [1, 0, 0, 1], 1e-9, 'exp(A)·exp(-A)');
  });
});
