import { ComplexLu } from '../linalg/complex-lu.js';
import type { RealEigenSolver } from '../linalg/real-eig.js';
import { type SsiModel, stateMatrix } from './ssi.js';

/**
 * The per-mode part of SSI's uncertainty propagation (uncertainty.ts): everything about the
 * mode's pole at its order that does not depend on the record's blocks — the eigenvectors, the
 * vectors the two block Toeplitz products act on, the bordered eigenvector system — computed once.
 */

/** The pole whose uncertainty is wanted: its model order, frequency (Hz) and damping ratio. */
export interface UncertaintyTarget {
  readonly order: number;
  readonly frequency: number;
  readonly damping: number;
}

/** What one mode's propagation needs, computed once (steps of uncertainty.ts). */
export interface ModeSensitivity {
  readonly n: number;
  readonly p: number;
  readonly q: number;
  readonly l: number;
  readonly fs: number;
  readonly model: SsiModel;
  /** μ (discrete pole) and λ = fs ln μ. */
  readonly mu: readonly [number, number];
  readonly lambda: readonly [number, number];
  /** Right eigenvector ψ, and a = χᴴ/χᴴψ (so Δμ = a·ΔAψ). */
  readonly psi: Cvec;
  readonly a: Cvec;
  /** w = V_n S_n^{-½} ψ (β = (I − P) ΔT w); x' = (I − P)[ρ; 0] (α = S^{-½} V_nᵀ ΔTᵀ x'). */
  readonly w: Cvec;
  readonly x: Cvec;
  /** The shape φ = Cψ. */
  readonly phi: Cvec;
  /** LU of the bordered eigenvector system. */
  readonly bordered: ComplexLu;
  /** G↓ = U↑ᵀ U↓ and G↑ = U↑ᵀ U↑ (n×n row-major; U↑, U↓ without the last / first block row). */
  readonly gDown: Float64Array;
  readonly gUp: Float64Array;
}

export interface Cvec {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

export const cvec = (n: number): Cvec => ({ re: new Float64Array(n), im: new Float64Array(n) });

export function prepareMode(
  model: SsiModel,
  fs: number,
  target: UncertaintyTarget,
  solver: RealEigenSolver,
): ModeSensitivity | undefined {
  const { svd, rows: p, cols: q, shift } = model;
  const n = target.order;
  const l = model.correlations.channels;
  if (n > shift.rank || n < 2) return undefined;
  const a = new Float64Array(n * n);
  stateMatrix(shift, n, a);
  if (!solver.decompose(a, n)) return undefined;
  const slot = nearestPole(solver, n, fs, target);
  if (slot < 0) return undefined;
  const mu = [solver.wr[slot] as number, solver.wi[slot] as number] as const;
  const psi = cvec(n);
  solver.eigenvector(slot, psi.re, psi.im);
  // Left eigenvector: Aᵀ y = μ y, so yᵀ A = μ yᵀ and a = yᵀ / (yᵀψ).
  const at = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) at[j * n + i] = a[i * n + j] as number;
  if (!solver.decompose(at, n)) return undefined;
  let tslot = -1;
  let best = Number.POSITIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const d = Math.hypot((solver.wr[j] as number) - mu[0], (solver.wi[j] as number) - mu[1]);
    if (d < best) {
      best = d;
      tslot = j;
    }
  }
  if (tslot < 0 || !((solver.wi[tslot] as number) > 0)) return undefined;
  const y = cvec(n);
  solver.eigenvector(tslot, y.re, y.im);
  const [dr, di] = cdot(y, psi);
  const den = dr * dr + di * di;
  if (!(den > 0)) return undefined;
  const left = cvec(n);
  for (let k = 0; k < n; k++) {
    const yr = y.re[k] as number;
    const yi = y.im[k] as number;
    left.re[k] = (yr * dr + yi * di) / den;
    left.im[k] = (yi * dr - yr * di) / den;
  }
  // O ψ (p), φ = its first l entries; w = V_n S^{-½} ψ (q).
  const sigma = svd.sigma;
  const opsi = cvec(p);
  const w = cvec(q);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(sigma[k] as number);
    const pr = psi.re[k] as number;
    const pi = psi.im[k] as number;
    for (let i = 0; i < p; i++) {
      const u = (svd.u[k * p + i] as number) * s;
      opsi.re[i] = (opsi.re[i] as number) + u * pr;
      opsi.im[i] = (opsi.im[i] as number) + u * pi;
    }
    for (let i = 0; i < q; i++) {
      const v = (svd.v[k * q + i] as number) / s;
      w.re[i] = (w.re[i] as number) + v * pr;
      w.im[i] = (w.im[i] as number) + v * pi;
    }
  }
  const phi = { re: opsi.re.slice(0, l), im: opsi.im.slice(0, l) };
  // ρ = O↓ψ − μ O↑ψ, padded with l zeros at the end, then (I − U_nU_nᵀ).
  const x = cvec(p);
  for (let i = 0; i < p - l; i++) {
    const ur = opsi.re[i] as number;
    const ui = opsi.im[i] as number;
    x.re[i] = (opsi.re[i + l] as number) - (mu[0] * ur - mu[1] * ui);
    x.im[i] = (opsi.im[i + l] as number) - (mu[0] * ui + mu[1] * ur);
  }
  projectOut(svd.u, p, n, x);
  // Bordered system [A − μI, ψ; a, 0].
  const m = n + 1;
  const bre = new Float64Array(m * m);
  const bim = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) bre[i * m + j] = a[i * n + j] as number;
    bre[i * m + i] = (bre[i * m + i] as number) - mu[0];
    bim[i * m + i] = -mu[1];
    bre[i * m + n] = psi.re[i] as number;
    bim[i * m + n] = psi.im[i] as number;
    bre[n * m + i] = left.re[i] as number;
    bim[n * m + i] = left.im[i] as number;
  }
  const bordered = new ComplexLu(bre, bim, m);
  if (!bordered.nonSingular) return undefined;
  const gDown = new Float64Array(n * n);
  const gUp = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      let down = 0;
      let up = 0;
      for (let i = 0; i < p - l; i++) {
        const uk = svd.u[k * p + i] as number;
        down += uk * (svd.u[j * p + i + l] as number);
        up += uk * (svd.u[j * p + i] as number);
      }
      gDown[k * n + j] = down;
      gUp[k * n + j] = up;
    }
  }
  const lnAbs = Math.log(Math.hypot(mu[0], mu[1]));
  const lambda = [lnAbs * fs, Math.atan2(mu[1], mu[0]) * fs] as const;
  return { n, p, q, l, fs, model, mu, lambda, psi, a: left, w, x, phi, bordered, gDown, gUp };
}

/** The slot (positive imaginary part) whose pole is nearest the target's frequency and damping. */
function nearestPole(solver: RealEigenSolver, n: number, fs: number, t: UncertaintyTarget): number {
  let best = -1;
  let bestD = Number.POSITIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const mi = solver.wi[j] as number;
    if (!(mi > 0)) continue;
    const mr = solver.wr[j] as number;
    const re = Math.log(Math.hypot(mr, mi)) * fs;
    const im = Math.atan2(mi, mr) * fs;
    const mag = Math.hypot(re, im);
    const d = Math.abs(mag / (2 * Math.PI) - t.frequency) / t.frequency + Math.abs(-re / mag - t.damping);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  // The pole was found at this order by the same arithmetic; anything far off is another pole.
  return bestD <= 1e-6 ? best : -1;
}

/** x ← (I − U_n U_nᵀ) x for the column-major p×(≥n) panel u. */
export function projectOut(u: Float64Array, p: number, n: number, x: Cvec): void {
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    const col = k * p;
    for (let i = 0; i < p; i++) {
      const v = u[col + i] as number;
      sr += v * (x.re[i] as number);
      si += v * (x.im[i] as number);
    }
    for (let i = 0; i < p; i++) {
      const v = u[col + i] as number;
      x.re[i] = (x.re[i] as number) - v * sr;
      x.im[i] = (x.im[i] as number) - v * si;
    }
  }
}

/** Σ y_k ψ_k (no conjugation). */
export function cdot(y: Cvec, x: Cvec): [number, number] {
  let sr = 0;
  let si = 0;
  for (let k = 0; k < y.re.length; k++) {
    const a = y.re[k] as number;
    const b = y.im[k] as number;
    const c = x.re[k] as number;
    const d = x.im[k] as number;
    sr += a * c - b * d;
    si += a * d + b * c;
  }
  return [sr, si];
}
