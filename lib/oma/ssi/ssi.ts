import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import { orthonormalize } from '../linalg/gram-schmidt.js';
import { jacobiSvd } from '../linalg/jacobi-svd.js';
import { randomizedSvd, type TruncatedSvd } from '../linalg/randomized-svd.js';
import { RealEigenSolver } from '../linalg/real-eig.js';
import { meanPhaseDeviation, modalPhaseCollinearity } from '../modal/modal.js';
import { type OutputCorrelations, outputCorrelations } from '../signal/correlation.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from './defaults.js';
import { blockToeplitz } from './toeplitz.js';

/**
 * Covariance-driven stochastic subspace identification, SSI-cov (Peeters & De Roeck 1999,
 * MSSP 13; Van Overschee & De Moor 1996, Subspace Identification for Linear Systems, ch. 3):
 *
 *  1. R_k for k = 0..2br-1 by FFT (correlation.ts); block Toeplitz T = O Γ (toeplitz.ts);
 *  2. T ≈ U_n S_n V_nᵀ, the n_max leading singular triplets (randomized-svd.ts);
 *  3. for each order n: O_n = U_n S_n^½; C = first block row of O_n; A from the shift
 *     structure O_n↑ A = O_n↓ in the least-squares sense (Peeters & De Roeck eq. 12);
 *  4. eigenvalues μ of A → λ = fs·ln μ, f = |λ|/2π, ζ = -Re λ/|λ|; shapes φ = C ψ.
 *
 * The least-squares solve for every order reuses one factorisation: O_up = Q R by column-ordered
 * Gram–Schmidt gives, for the first n columns, A_n = R_n⁻¹ (Qᵀ O_down)_{n×n} — the leading n×n
 * blocks of one n_max×n_max product — so each order costs O(n³) instead of O(br·l·n²).
 */
export interface SsiOptions {
  /** Block rows (the Toeplitz matrix uses lags 1..2br-1). */
  readonly br: number;
  readonly orderMin?: number;
  readonly orderMax: number;
  /** @default 2 */
  readonly orderStep?: number;
  /** Reference channels (columns of the correlations). @default all */
  readonly references?: readonly number[];
  /** Poles outside [fmin, fmax] Hz or with damping outside (0, dampingMax] get no shape. */
  readonly fmin?: number;
  readonly fmax?: number;
  /** @default 0.2 */
  readonly dampingMax?: number;
  /** 'randomized' (default) or 'exact' (one-sided Jacobi on the whole matrix; for checks). */
  readonly svd?: 'randomized' | 'exact';
  /** Power iterations of the randomized SVD. @default 3 */
  readonly powerIterations?: number;
  /**
   * Keep what the uncertainty propagation needs (`model`: the right singular vectors, the shift
   * structure, the correlations of this many blocks of the record; uncertainty.ts). @default none
   */
  readonly uncertaintyBlocks?: number;
}

/** The identified model's internals, kept for the uncertainty propagation (uncertainty.ts). */
export interface SsiModel {
  /** The truncated SVD of the block Toeplitz matrix, with its right singular vectors. */
  readonly svd: TruncatedSvd & { readonly v: Float64Array };
  readonly rows: number;
  readonly cols: number;
  readonly br: number;
  readonly shift: ShiftModel;
  /** With the blocks' sums (blockSums, blockStarts). */
  readonly correlations: OutputCorrelations;
}

/** A conjugate pole pair (the member with positive imaginary part) at one model order. */
export interface SsiPole {
  readonly order: number;
  readonly frequency: number;
  readonly damping: number;
  /** Complex mode shape φ = C ψ (length l); empty when the pole is outside band or damping range. */
  readonly shapeRe: Float64Array;
  readonly shapeIm: Float64Array;
  readonly mpc: number;
  readonly mpd: number;
  /** Inside the band and damping range, with a shape. */
  readonly inRange: boolean;
}

export interface SsiIdentification {
  readonly orders: number[];
  /** Poles per order (same indexing as `orders`). */
  readonly poles: SsiPole[][];
  /** Singular values of the Toeplitz matrix (the n_max computed). */
  readonly singularValues: Float64Array;
  readonly timings: { correlations: number; toeplitzSvd: number; poles: number };
  /** Numerical failures (an SVD or eigenvalue iteration that did not converge); absent if none. */
  readonly warnings?: string[];
  /** With `uncertaintyBlocks`: the model's internals for the uncertainty propagation. */
  readonly model?: SsiModel;
}

export async function ssiCov(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  options: SsiOptions,
  control: RunControl | Checkpoint = {},
): Promise<SsiIdentification> {
  const l = channels.length;
  const { br } = options;
  const refs = options.references ?? Array.from({ length: l }, (_, i) => i);
  const r = refs.length;
  const orderMin = options.orderMin ?? DEFAULT_ORDER_MIN;
  const step = options.orderStep ?? DEFAULT_ORDER_STEP;
  if (!Number.isInteger(br) || br < 2)
    throw new InvalidOptionError('br', `block rows must be an integer ≥ 2, got ${br}`);
  const maxOrder = Math.min((br - 1) * l, br * r);
  if (!Number.isInteger(options.orderMax) || options.orderMax < orderMin || options.orderMax > maxOrder) {
    throw new InvalidOptionError(
      'orderMax',
      `orderMax must be an integer in [${orderMin}, ${maxOrder}] for br=${br} with ${l} channels (${r} references), got ${options.orderMax}; raise br for higher orders`,
    );
  }
  if (!Number.isInteger(step) || step < 1)
    throw new InvalidOptionError('orderStep', `orderStep must be ≥ 1, got ${step}`);
  if (!Number.isInteger(orderMin) || orderMin < 1)
    throw new InvalidOptionError('orderMin', `orderMin must be ≥ 1, got ${orderMin}`);
  const n = channels[0]?.length ?? 0;
  if (n < 4 * br) throw new InsufficientDataError(`${n} samples are too few for ${br} block rows`);
  const checkpoint = toCheckpoint(control);

  let t0 = performance.now();
  const keep = options.uncertaintyBlocks !== undefined;
  const corr = await outputCorrelations(
    channels,
    2 * br,
    { references: refs, ...(keep ? { blocks: options.uncertaintyBlocks } : {}) },
    checkpoint.child(0, 0.45),
  );
  const tCorr = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const svdPhase = checkpoint.child(0.45, 0.7);
  await svdPhase.tick(0, 'block Toeplitz SVD');
  const toeplitz = blockToeplitz(corr, br);
  const nMax = options.orderMax;
  const svd =
    options.svd === 'exact'
      ? exactSvd(toeplitz.data, toeplitz.rows, toeplitz.cols, nMax)
      : await randomizedSvd(toeplitz.data, toeplitz.rows, toeplitz.cols, nMax, {
          powerIterations: options.powerIterations ?? 3,
          rightVectors: keep,
          onStep: () => svdPhase.tick(undefined, 'block Toeplitz SVD'),
        });
  const tSvd = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const orders: number[] = [];
  for (let order = orderMin; order <= nMax; order += step) orders.push(order);
  const model = shiftStructure(svd, toeplitz.rows, l, nMax);
  const poles: SsiPole[][] = [];
  const solver = new RealEigenSolver(nMax);
  const poleRange = checkpoint.child(0.7, 1);
  const failed: number[] = [];
  const a = new Float64Array(nMax * nMax);
  for (const [index, order] of orders.entries()) {
    await poleRange.tick(index / orders.length, `poles of model order ${order}`);
    const found = polesOfOrder(model, order, fs, l, solver, options, a);
    if (found === undefined) failed.push(order);
    poles.push(found ?? []);
  }
  poleRange.report(1, 'poles done');
  const tPoles = (performance.now() - t0) / 1000;
  const warnings: string[] = [];
  if (svd.converged === false)
    warnings.push('the SVD of the block Toeplitz matrix did not converge; poles may be inaccurate');
  if (failed.length > 0)
    warnings.push(
      `the eigenvalues of A did not converge at model order${failed.length > 1 ? 's' : ''} ${failed.join(', ')}; those orders have no poles in the diagram`,
    );
  const v = svd.v;
  return {
    orders,
    poles,
    singularValues: svd.sigma,
    timings: { correlations: tCorr, toeplitzSvd: tSvd, poles: tPoles },
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(keep && v !== undefined
      ? {
          model: {
            svd: { ...svd, v },
            rows: toeplitz.rows,
            cols: toeplitz.cols,
            br,
            shift: model,
            correlations: corr,
          },
        }
      : {}),
  };
}

/** Exact leading singular triplets by one-sided Jacobi on T's columns (reference path). */
function exactSvd(t: Float64Array, rows: number, cols: number, k: number): TruncatedSvd {
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * rows + i] = t[i * cols + j] as number;
  const sigma = new Float64Array(cols);
  const v = new Float64Array(cols * cols);
  const converged = jacobiSvd(a, rows, cols, sigma, v);
  const kk = Math.min(k, cols);
  return { k: kk, sigma: sigma.slice(0, kk), u: a.slice(0, rows * kk), v: v.slice(0, cols * kk), converged };
}

export interface ShiftModel {
  /** C for n_max: row-major l × n_max (the first block row of O). */
  readonly c: Float64Array;
  /** Upper-triangular R (n_max × n_max, row-major) of O_up = Q R. */
  readonly r: Float64Array;
  /** Qᵀ O_down (n_max × n_max, row-major). */
  readonly m: Float64Array;
  readonly nMax: number;
  /** Largest usable order (R's leading diagonal entries non-zero). */
  readonly rank: number;
}

export function shiftStructure(svd: TruncatedSvd, rows: number, l: number, nMax: number): ShiftModel {
  const mRows = rows - l;
  const up = new Float64Array(nMax * mRows);
  const down = new Float64Array(nMax * mRows);
  const c = new Float64Array(l * nMax);
  for (let j = 0; j < nMax; j++) {
    const s = Math.sqrt(svd.sigma[j] as number);
    const col = j * rows;
    for (let i = 0; i < mRows; i++) {
      up[j * mRows + i] = (svd.u[col + i] as number) * s;
      down[j * mRows + i] = (svd.u[col + l + i] as number) * s;
    }
    for (let i = 0; i < l; i++) c[i * nMax + j] = (svd.u[col + i] as number) * s;
  }
  const r = new Float64Array(nMax * nMax);
  orthonormalize(up, mRows, nMax, r);
  let rank = 0;
  while (rank < nMax && (r[rank * nMax + rank] as number) > 0) rank++;
  const m = new Float64Array(nMax * nMax);
  for (let a = 0; a < nMax; a++) {
    for (let b = 0; b < nMax; b++) {
      let s = 0;
      for (let i = 0; i < mRows; i++) s += (up[a * mRows + i] as number) * (down[b * mRows + i] as number);
      m[a * nMax + b] = s;
    }
  }
  return { c, r, m, nMax, rank };
}

/**
 * The state matrix of the order-n model, A = R_n⁻¹ M_n (row-major n×n into `a`), by back
 * substitution column by column.
 */
export function stateMatrix(model: ShiftModel, order: number, a: Float64Array): void {
  const { r, m, nMax } = model;
  for (let col = 0; col < order; col++) {
    for (let i = order - 1; i >= 0; i--) {
      let s = m[i * nMax + col] as number;
      for (let k = i + 1; k < order; k++) s -= (r[i * nMax + k] as number) * (a[k * order + col] as number);
      a[i * order + col] = s / (r[i * nMax + i] as number);
    }
  }
}

/**
 * Poles of the order-n model (none above the usable rank); undefined when the eigenvalue
 * iteration did not converge. `a` is a workspace of at least n_max² entries.
 */
export function polesOfOrder(
  model: ShiftModel,
  order: number,
  fs: number,
  l: number,
  solver: RealEigenSolver,
  options: SsiOptions,
  a: Float64Array,
): SsiPole[] | undefined {
  if (order > model.rank) return [];
  const { nMax, c } = model;
  stateMatrix(model, order, a);
  if (!solver.decompose(a, order)) return undefined;
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? fs / 2;
  const dampingMax = options.dampingMax ?? DEFAULT_DAMPING_MAX;
  const psiRe = new Float64Array(order);
  const psiIm = new Float64Array(order);
  const poles: SsiPole[] = [];
  for (let j = 0; j < order; j++) {
    const mi = solver.wi[j] as number;
    if (!(mi > 0)) continue; // conjugate pairs only, one member each
    const mr = solver.wr[j] as number;
    const lnRe = Math.log(Math.hypot(mr, mi)) * fs;
    const lnIm = Math.atan2(mi, mr) * fs;
    const mag = Math.hypot(lnRe, lnIm);
    const frequency = mag / (2 * Math.PI);
    const damping = -lnRe / mag;
    const inRange = frequency >= fmin && frequency <= fmax && damping > 0 && damping <= dampingMax;
    if (!inRange) {
      poles.push({
        order,
        frequency,
        damping,
        shapeRe: new Float64Array(0),
        shapeIm: new Float64Array(0),
        mpc: Number.NaN,
        mpd: Number.NaN,
        inRange,
      });
      continue;
    }
    solver.eigenvector(j, psiRe, psiIm);
    const shapeRe = new Float64Array(l);
    const shapeIm = new Float64Array(l);
    for (let i = 0; i < l; i++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < order; k++) {
        const cik = c[i * nMax + k] as number;
        sr += cik * (psiRe[k] as number);
        si += cik * (psiIm[k] as number);
      }
      shapeRe[i] = sr;
      shapeIm[i] = si;
    }
    const shape = { re: shapeRe, im: shapeIm };
    poles.push({
      order,
      frequency,
      damping,
      shapeRe,
      shapeIm,
      mpc: modalPhaseCollinearity(shape),
      mpd: meanPhaseDeviation(shape),
      inRange,
    });
  }
  return poles;
}
