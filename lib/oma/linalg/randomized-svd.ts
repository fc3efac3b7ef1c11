import { orthonormalize } from './gram-schmidt.js';
import { jacobiSvd } from './jacobi-svd.js';
import { Xoshiro128 } from './random.js';

/**
 * Leading singular triplets of a dense matrix by randomized subspace iteration (Halko, Martinsson
 * & Tropp 2011, "Finding structure with randomness", Algorithms 4.4 and 5.1): a Gaussian test
 * panel Ω, Y = (T Tᵀ)^q T Ω re-orthonormalised after every product, B = Qᵀ T, then an exact SVD
 * of the small B through a QR of Bᵀ and one-sided Jacobi on its R factor.
 *
 * SSI needs only the left singular vectors and values of the block Toeplitz matrix up to the
 * highest model order (Peeters & De Roeck 1999), so this costs O((2q + 2)·rows·cols·(k + p))
 * instead of the O(n³) of a full SVD. With oversampling p and q power iterations the error in
 * σ_j is governed by (σ_{k+p+1}/σ_j)^{2q+1}, tiny for the well-separated physical part of the
 * spectrum; see docs/oma.md for the measured agreement with a full SVD.
 */
export interface TruncatedSvd {
  /** Number of triplets returned. */
  readonly k: number;
  /** Singular values, descending. */
  readonly sigma: Float64Array;
  /** Left singular vectors as a column-major rows×k panel (`u[j*rows + i]`). */
  readonly u: Float64Array;
  /** Right singular vectors as a column-major cols×k panel, when asked for (`rightVectors`). */
  readonly v?: Float64Array;
  /** False when the Jacobi SVD of the small factor hit its sweep limit (absent: converged). */
  readonly converged?: boolean;
}

export interface RandomizedSvdOptions {
  /** Extra columns beyond k in the test panel. @default max(10, ceil(k/5)) */
  readonly oversampling?: number;
  /** Power (subspace) iterations. @default 3 */
  readonly powerIterations?: number;
  /** Also return the right singular vectors (cols·width·k more flops). @default false */
  readonly rightVectors?: boolean;
  /** Seed of the Gaussian test panel. @default 1 */
  readonly seed?: number;
  /**
   * Awaited between the heavy products (each a fraction of a second even for the largest
   * matrices), so the caller can yield to the event loop and honour cancellation.
   */
  readonly onStep?: () => Promise<void> | void;
}

/** Y = T X for row-major T (rows×cols) and a column-major cols×k panel X → rows×k panel Y. */
export function multiplyPanel(
  t: Float64Array,
  rows: number,
  cols: number,
  x: Float64Array,
  k: number,
  y: Float64Array,
): void {
  // Register blocking: two rows of T × four panel vectors per pass, so each loaded element of
  // T feeds four products and each element of X two.
  let j = 0;
  for (; j + 3 < k; j += 4) {
    const x0 = j * cols;
    const x1 = x0 + cols;
    const x2 = x1 + cols;
    const x3 = x2 + cols;
    let r = 0;
    for (; r + 1 < rows; r += 2) {
      const ta = r * cols;
      const tb = ta + cols;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let c = 0; c < cols; c++) {
        const u = t[ta + c] as number;
        const v = t[tb + c] as number;
        const p0 = x[x0 + c] as number;
        const p1 = x[x1 + c] as number;
        const p2 = x[x2 + c] as number;
        const p3 = x[x3 + c] as number;
        a0 += u * p0;
        a1 += u * p1;
        a2 += u * p2;
        a3 += u * p3;
        b0 += v * p0;
        b1 += v * p1;
        b2 += v * p2;
        b3 += v * p3;
      }
      y[j * rows + r] = a0;
      y[(j + 1) * rows + r] = a1;
      y[(j + 2) * rows + r] = a2;
      y[(j + 3) * rows + r] = a3;
      y[j * rows + r + 1] = b0;
      y[(j + 1) * rows + r + 1] = b1;
      y[(j + 2) * rows + r + 1] = b2;
      y[(j + 3) * rows + r + 1] = b3;
    }
    for (; r < rows; r++) {
      const tr = r * cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < cols; c++) {
        const v = t[tr + c] as number;
        s0 += v * (x[x0 + c] as number);
        s1 += v * (x[x1 + c] as number);
        s2 += v * (x[x2 + c] as number);
        s3 += v * (x[x3 + c] as number);
      }
      y[j * rows + r] = s0;
      y[(j + 1) * rows + r] = s1;
      y[(j + 2) * rows + r] = s2;
      y[(j + 3) * rows + r] = s3;
    }
  }
  for (; j < k; j++) {
    const xj = j * cols;
    for (let r = 0; r < rows; r++) {
      const tr = r * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += (t[tr + c] as number) * (x[xj + c] as number);
      y[j * rows + r] = s;
    }
  }
}

/**
 * The k leading singular values and left singular vectors of the row-major rows×cols matrix `t`.
 * k is clipped to min(rows, cols).
 */
export async function randomizedSvd(
  t: Float64Array,
  rows: number,
  cols: number,
  kWanted: number,
  options: RandomizedSvdOptions = {},
): Promise<TruncatedSvd> {
  const minDim = Math.min(rows, cols);
  const k = Math.max(1, Math.min(kWanted, minDim));
  const p = options.oversampling ?? Math.max(10, Math.ceil(k / 5));
  const width = Math.min(minDim, k + p);
  const q = options.powerIterations ?? 3;
  const step = options.onStep ?? (() => {});
  const rng = new Xoshiro128(options.seed ?? 1);
  // Tᵀ explicitly, so both products run as cache-friendly dot products (one O(rows·cols) copy).
  const tt = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tt[c * rows + r] = t[r * cols + c] as number;

  const omega = new Float64Array(cols * width);
  rng.fillGaussian(omega);
  const y = new Float64Array(rows * width);
  multiplyPanel(t, rows, cols, omega, width, y);
  orthonormalize(y, rows, width);
  await step();
  for (let it = 0; it < q; it++) {
    multiplyPanel(tt, cols, rows, y, width, omega);
    orthonormalize(omega, cols, width);
    await step();
    multiplyPanel(t, rows, cols, omega, width, y);
    orthonormalize(y, rows, width);
    await step();
  }
  // Bᵀ = Tᵀ Q (cols×width) = Q₂ R; SVD of R = Ũ Σ Ṽᵀ gives T ≈ (Q Ṽ) Σ (Q₂ Ũ)ᵀ.
  multiplyPanel(tt, cols, rows, y, width, omega);
  const r = new Float64Array(width * width);
  orthonormalize(omega, cols, width, r);
  await step();
  // jacobiSvd wants R column-major: column j of R is row-major entries r[i*width + j].
  const rc = new Float64Array(width * width);
  for (let i = 0; i < width; i++)
    for (let j = 0; j < width; j++) rc[j * width + i] = r[i * width + j] as number;
  const sigma = new Float64Array(width);
  const vt = new Float64Array(width * width);
  const converged = jacobiSvd(rc, width, width, sigma, vt);
  // Left singular vectors of T: U = Q Ṽ (Ṽ = right singular vectors of R).
  const u = combine(y, rows, vt, width, k);
  // Right singular vectors: V = Q₂ Ũ, Ũ the left singular vectors of R (now in rc).
  const v = options.rightVectors === true ? combine(omega, cols, rc, width, k) : undefined;
  return { k, sigma: sigma.slice(0, k), u, ...(v === undefined ? {} : { v }), converged };
}

/** The first k columns of Q·W for a column-major rows×width Q and width×width W. */
function combine(q: Float64Array, rows: number, w: Float64Array, width: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let j = 0; j < k; j++) {
    const oj = j * rows;
    for (let i = 0; i < width; i++) {
      const c = w[j * width + i] as number;
      if (c === 0) continue;
      const qi = i * rows;
      for (let s = 0; s < rows; s++) out[oj + s] = (out[oj + s] as number) + c * (q[qi + s] as number);
    }
  }
  return out;
}
