import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError } from '../errors.js';
import { orthonormalize } from '../linalg/gram-schmidt.js';
import { randomizedSvd } from '../linalg/randomized-svd.js';
import { RealEigenSolver } from '../linalg/real-eig.js';
import { outputCorrelations } from '../signal/correlation.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from '../ssi/defaults.js';
import { polesOfOrder, type SsiIdentification, type SsiPole, shiftStructure } from '../ssi/ssi.js';
import { blockToeplitz } from '../ssi/toeplitz.js';
import type { MultiSetupLayout } from './layout.js';

/**
 * Pre-identification merging for covariance-driven SSI, PreGER (Döhler, Reynders, Magalhães,
 * Mevel, De Roeck & Cunha 2010, "Pre- and post-identification merging for multi-setup OMA with
 * covariance-driven SSI", IMAC XXVIII; the modular form of Döhler & Mevel 2012, "Modular
 * subspace-based system identification from multi-setup measurements", IEEE Trans. Autom.
 * Control 57, which PyOMA2 follows):
 *
 *  1. per setup j, with its channels ordered [references, rovers]: correlations against the
 *     references, block Toeplitz T_j = O_j Γ_j, O_j = U_n S_n^½ from its truncated SVD;
 *  2. each O_j is in its own state basis; the reference rows O_j^ref observe the same sensors in
 *     every setup, so T_j = (O_j^ref)⁺ O_1^ref (least squares, by QR) takes setup j to setup 1's
 *     basis — which also absorbs the different excitation levels of the setups;
 *  3. the global observability matrix interleaves, per block row, setup 1's reference rows and
 *     every setup's rover rows O_j^rov T_j — for each model order n from the first n columns
 *     (ObservabilityMerger) — and A and C follow from it as in ssi.ts (shift structure), so the
 *     modes' shapes span all DOFs.
 * Needs br·r ≥ n_max (the reference rows must determine the basis) and one sampling rate.
 */
export interface PregerOptions {
  readonly br: number;
  readonly orderMax: number;
  readonly orderMin?: number;
  readonly orderStep?: number;
  readonly fmin?: number;
  readonly fmax?: number;
  readonly dampingMax?: number;
}

export async function pregerIdentify(
  setups: readonly (readonly (Float64Array | Float32Array)[])[],
  layout: MultiSetupLayout,
  fs: number,
  options: PregerOptions,
  control: RunControl | Checkpoint = {},
): Promise<SsiIdentification> {
  const checkpoint = toCheckpoint(control);
  const { br, orderMax: nMax } = options;
  const r = layout.referenceCount;
  if (br * r < nMax)
    throw new InsufficientDataError(
      `PreGER needs br × references ≥ the highest order to map every setup onto one state basis: ${br} × ${r} < ${nMax}; raise br or lower order_max`,
    );
  let t0 = performance.now();
  const observability: Float64Array[] = [];
  let sigma: Float64Array = new Float64Array(0);
  for (const [j, channels] of setups.entries()) {
    const phase = checkpoint.child(j / setups.length, ((j + 1) / setups.length) * 0.8);
    const lay = layout.setups[j];
    if (lay === undefined) continue;
    const ordered = [...lay.references, ...lay.rovers].map((i) => channels[i] as Float64Array | Float32Array);
    const refs = Array.from({ length: r }, (_, i) => i);
    const corr = await outputCorrelations(ordered, 2 * br, { references: refs }, phase.child(0, 0.5));
    const t = blockToeplitz(corr, br);
    const svd = await randomizedSvd(t.data, t.rows, t.cols, nMax, {
      onStep: () => phase.tick(undefined, `block Toeplitz SVD of setup ${lay.name}`),
    });
    const o = new Float64Array(t.rows * nMax);
    for (let k = 0; k < nMax; k++) {
      const s = Math.sqrt(svd.sigma[k] ?? 0);
      for (let i = 0; i < t.rows; i++) o[k * t.rows + i] = (svd.u[k * t.rows + i] as number) * s;
    }
    observability.push(o);
    if (j === 0) sigma = svd.sigma;
  }
  const tCorrSvd = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const merger = new ObservabilityMerger(observability, layout, br, nMax);
  const width = layout.dofs.length;
  const orders: number[] = [];
  for (let n = options.orderMin ?? DEFAULT_ORDER_MIN; n <= nMax; n += options.orderStep ?? DEFAULT_ORDER_STEP)
    orders.push(n);
  const solver = new RealEigenSolver(nMax);
  const a = new Float64Array(nMax * nMax);
  const poles: SsiPole[][] = [];
  const poleRange = checkpoint.child(0.8, 1);
  const ssiOptions = {
    br,
    orderMax: nMax,
    fmin: options.fmin ?? 0,
    fmax: options.fmax ?? fs / 2,
    dampingMax: options.dampingMax ?? DEFAULT_DAMPING_MAX,
  };
  for (const [index, order] of orders.entries()) {
    await poleRange.tick(index / orders.length, `poles of model order ${order}`);
    const global = merger.at(order);
    const shift = shiftStructure(
      { k: order, sigma: new Float64Array(order).fill(1), u: global },
      br * width,
      width,
      order,
    );
    poles.push(polesOfOrder(shift, order, fs, width, solver, ssiOptions, a) ?? []);
  }
  return {
    orders,
    poles,
    singularValues: sigma,
    timings: { correlations: 0, toeplitzSvd: tCorrSvd, poles: (performance.now() - t0) / 1000 },
  };
}

/**
 * The global observability matrix at each order n (column-major, br·L × n): per block row, setup
 * 1's reference rows, then each setup's rover rows in setup 1's basis, T_j = (O_j^ref)⁺ O_1^ref
 * from the first n columns of both (Döhler & Mevel 2012, §IV: the normalisation is done per
 * order — mapping all n_max columns at once lets setup j's noise directions absorb setup 1's,
 * which damped a 2 Hz mode to 12 % in a test). The QR of O_j^ref is computed once: the QR of its
 * first n columns is the first n columns of Q and the leading block of R (column-ordered
 * Gram–Schmidt), so T_j = R_n⁻¹ (QᵀO_1^ref)_{n×n}.
 */
class ObservabilityMerger {
  private readonly r: number;
  private readonly width: number;
  /** Per setup j ≥ 1: R (n_max×n_max row-major) and M = Qᵀ O_1^ref (n_max×n_max row-major). */
  private readonly factors: { readonly rr: Float64Array; readonly m: Float64Array }[] = [];

  constructor(
    private readonly observability: readonly Float64Array[],
    private readonly layout: MultiSetupLayout,
    private readonly br: number,
    private readonly nMax: number,
  ) {
    this.r = layout.referenceCount;
    this.width = layout.dofs.length;
    const rows = br * this.r;
    const target = this.refRows(0);
    for (let j = 1; j < observability.length; j++) {
      const q = this.refRows(j);
      const rr = new Float64Array(nMax * nMax);
      orthonormalize(q, rows, nMax, rr);
      const m = new Float64Array(nMax * nMax);
      for (let k = 0; k < nMax; k++) {
        for (let c = 0; c < nMax; c++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += (q[k * rows + i] as number) * (target[c * rows + i] as number);
          m[k * nMax + c] = s;
        }
      }
      this.factors.push({ rr, m });
    }
  }

  at(n: number): Float64Array {
    const { br, r, width, nMax, layout, observability } = this;
    const global = new Float64Array(br * width * n);
    const o1 = observability[0] as Float64Array;
    const rows1 = br * (r + (layout.setups[0]?.rovers.length ?? 0));
    const l1 = rows1 / br;
    for (let c = 0; c < n; c++)
      for (let a = 0; a < br; a++)
        for (let i = 0; i < l1; i++)
          global[c * br * width + a * width + i] = o1[c * rows1 + a * l1 + i] as number;
    let offset = l1;
    const t = new Float64Array(n * n);
    for (let j = 1; j < observability.length; j++) {
      const { rr, m } = this.factors[j - 1] as { rr: Float64Array; m: Float64Array };
      if (!((rr[(n - 1) * nMax + n - 1] as number) > 0))
        throw new InsufficientDataError(
          `the reference channels of setup '${layout.setups[j]?.name}' do not determine an order-${n} state basis; lower order_max or add references`,
        );
      // T = R_n⁻¹ M_n by back substitution, column by column (row-major n×n).
      for (let c = 0; c < n; c++) {
        for (let k = n - 1; k >= 0; k--) {
          let s = m[k * nMax + c] as number;
          for (let p = k + 1; p < n; p++) s -= (rr[k * nMax + p] as number) * (t[p * n + c] as number);
          t[k * n + c] = s / (rr[k * nMax + k] as number);
        }
      }
      const o = observability[j] as Float64Array;
      const l = r + (layout.setups[j]?.rovers.length ?? 0);
      const rows = br * l;
      for (let a = 0; a < br; a++) {
        for (let i = 0; i < l - r; i++) {
          const src = a * l + r + i;
          const dst = a * width + offset + i;
          for (let c = 0; c < n; c++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += (o[k * rows + src] as number) * (t[k * n + c] as number);
            global[c * br * width + dst] = s;
          }
        }
      }
      offset += l - r;
    }
    return global;
  }

  /** Reference rows of setup j's O (column-major br·r × n_max). */
  private refRows(j: number): Float64Array {
    const { br, r, nMax, layout } = this;
    const o = this.observability[j] as Float64Array;
    const l = r + (layout.setups[j]?.rovers.length ?? 0);
    const rows = br * l;
    const out = new Float64Array(br * r * nMax);
    for (let k = 0; k < nMax; k++)
      for (let a = 0; a < br; a++)
        for (let i = 0; i < r; i++) out[k * br * r + a * r + i] = o[k * rows + a * l + i] as number;
    return out;
  }
}
