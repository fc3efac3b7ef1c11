import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { ComplexLu } from '../linalg/complex-lu.js';
import { RealEigenSolver } from '../linalg/real-eig.js';
import { shapeStatistics } from '../modal/shape-statistics.js';
import type { ModalUncertainty } from '../modal/types.js';
import { type SsiModel, stateMatrix } from './ssi.js';
import { BlockToeplitzOperator } from './toeplitz-operator.js';

/**
 * Statistical uncertainty of SSI-cov modal parameters by first-order perturbation of the output
 * correlations through the subspace steps (Reynders, Pintelon & De Roeck 2008, "Uncertainty
 * bounds on modal parameters obtained from stochastic subspace identification", MSSP 22;
 * Döhler & Mevel 2013, "Efficient multi-order uncertainty computation for stochastic subspace
 * identification", MSSP 38).
 *
 * Covariance of the correlations: the record is cut into n_b blocks (correlation.ts), whose
 * correlations R^(g) scatter around R̄; with ΔR_g = √(n_b/(n_b−1))·(S_g − c_g R̄)/(N − k) (S_g the
 * block's sums, c_g its sample count per lag), cov(vec R̄) ≈ Σ_g vec ΔR_g vec ΔR_gᵀ — the factor
 * T of Σ = T Tᵀ in Döhler & Mevel (§3), never formed. Every quantity below is linear in ΔR, so
 * each block's ΔR_g is carried through the steps and σ² of a parameter is the sum of the squares
 * of its n_b first-order changes (Döhler & Mevel's "sample" propagation; no Jacobian is built).
 *
 * The steps at model order n (the mode's pole at its sharpest truncation, estimates.ts), with
 * T = U S Vᵀ:
 *  1. Subspace. O = U_n S_n^½ changes by ΔO = (I − U_nU_nᵀ) ΔT V_n S_n^{-½} + O X: the first
 *     term is the first-order perturbation of the dominant left singular subspace with the
 *     discarded singular values neglected against the retained ones (Li & Vaccaro 1991, IEEE
 *     Trans. Signal Process. 39, eq. 14), the second a change of state basis — A ↦ A + AX − XA,
 *     C ↦ C + CX — that leaves eigenvalues and C·eigenvectors unchanged, so it is dropped.
 *  2. State matrix, least squares O↑A = O↓ (Reynders et al. 2008, eq. 36):
 *     ΔA ψ = (O↑ᵀO↑)⁻¹ [ΔO↑ᵀ ρ + O↑ᵀ(ΔO↓ψ − μ ΔO↑ψ)], ρ = (O↓ − O↑A)ψ,
 *     so only β = ΔO ψ and α = ΔOᵀ [ρ; 0] are needed: two block Toeplitz products per block
 *     (toeplitz-operator.ts) instead of ΔT V_n.
 *  3. Eigenvalue Δμ = χᴴ ΔA ψ / χᴴψ; eigenvector from the bordered system
 *     [A − μI, ψ; χᴴ/χᴴψ, 0] [Δψ; ·] = [−(ΔA − Δμ I)ψ; 0] (any multiple of ψ drops out with the
 *     normalisation below); shape Δφ = ΔC ψ + C Δψ, ΔCψ = the first block row of β.
 *  4. λ = fs ln μ: Δλ = fs Δμ/μ; f = |λ|/2π → Δf = Re(λ̄Δλ)/(2π|λ|);
 *     ζ = −Re λ/|λ| → Δζ = −Re Δλ/|λ| + Re λ · Re(λ̄Δλ)/|λ|³ (Reynders et al. 2008, eqs. 39–41).
 *  5. Shape normalised by its largest component φ_m: Δ(φ/φ_m) = (Δφ − (φ/φ_m) Δφ_m)/φ_m; its
 *     real part gives the σ of the reported unit-max shape and its MAC interval
 *     (modal/shape-statistics.ts).
 * Cost per block: the l·r transforms of ΔR_g; per block and mode two FFT products and O(br·l·n).
 */
export interface UncertaintyTarget {
  /** The representative pole of the mode: its model order, frequency (Hz) and damping ratio. */
  readonly order: number;
  readonly frequency: number;
  readonly damping: number;
}

/**
 * Per mode, the uncertainty of its pole `targets[i]` (undefined when there is none, or when the
 * pole cannot be found again at its order).
 */
export async function ssiUncertainty(
  model: SsiModel,
  fs: number,
  targets: readonly (UncertaintyTarget | undefined)[],
  control: RunControl | Checkpoint = {},
): Promise<(ModalUncertainty | undefined)[]> {
  const checkpoint = toCheckpoint(control);
  const { correlations: corr } = model;
  const { blockSums, blockStarts } = corr;
  const nb = blockStarts === undefined ? 0 : blockStarts.length - 1;
  if (blockSums === undefined || blockStarts === undefined || nb < 2) return targets.map(() => undefined);
  const l = corr.channels;
  const r = corr.references.length;
  const lags = corr.maxLag + 1;
  const n = blockStarts[nb] as number;
  const stride = lags * l * r;
  const solver = new RealEigenSolver(Math.max(2, ...targets.map((t) => t?.order ?? 2)));
  const modes = targets.map((t) => (t === undefined ? undefined : prepareMode(model, fs, t, solver)));
  const samples = modes.map((m) => (m === undefined ? undefined : new BlockSamples(m, nb)));
  const op = new BlockToeplitzOperator(l, r, model.br);
  const delta = new Float64Array(stride);
  const scale = Math.sqrt(nb / (nb - 1));
  for (let g = 0; g < nb; g++) {
    await checkpoint.tick(g / nb, 'uncertainty: propagating the blocks');
    // ΔR_g = √(n_b/(n_b−1))·(S_g − c_g R̄)/(N − k), c_g the block's samples with t + k < N.
    const start = blockStarts[g] as number;
    const end = blockStarts[g + 1] as number;
    for (let k = 0; k < lags; k++) {
      const count = end - start - Math.max(0, end + k - n);
      const norm = scale / (n - k);
      for (let c = 0; c < l * r; c++) {
        const idx = k * l * r + c;
        delta[idx] = norm * ((blockSums[g * stride + idx] as number) - count * (corr.data[idx] as number));
      }
    }
    op.load(delta);
    for (const s of samples) s?.add(g, op);
  }
  checkpoint.report(1, 'uncertainty done');
  return samples.map((s) => s?.result());
}

/**
 * The first-order changes of each target's frequency and damping for given changes of the
 * correlations (same layout as `OutputCorrelations.data`): the linearisation itself, which the
 * tests compare with finite differences of the identification.
 */
export function firstOrderChanges(
  model: SsiModel,
  fs: number,
  targets: readonly UncertaintyTarget[],
  deltas: readonly Float64Array[],
): ({ frequency: Float64Array; damping: Float64Array } | undefined)[] {
  const corr = model.correlations;
  const solver = new RealEigenSolver(Math.max(2, ...targets.map((t) => t.order)));
  const op = new BlockToeplitzOperator(corr.channels, corr.references.length, model.br);
  const samples = targets.map((t) => {
    const m = prepareMode(model, fs, t, solver);
    return m === undefined ? undefined : new BlockSamples(m, deltas.length);
  });
  deltas.forEach((delta, g) => {
    op.load(delta);
    for (const s of samples) s?.add(g, op);
  });
  return samples.map((s) => s?.changes());
}

/** What one mode's propagation needs, computed once (step numbers as above). */
interface ModeSensitivity {
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

interface Cvec {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

const cvec = (n: number): Cvec => ({ re: new Float64Array(n), im: new Float64Array(n) });

function prepareMode(
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
function projectOut(u: Float64Array, p: number, n: number, x: Cvec): void {
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
function cdot(y: Cvec, x: Cvec): [number, number] {
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

/** The n_b first-order changes of one mode's f, ζ and normalised shape, and their statistics. */
class BlockSamples {
  private readonly df: Float64Array;
  private readonly dz: Float64Array;
  /** Real part of Δ(φ/φ_m), block-major (g·l + c). */
  private readonly dshape: Float64Array;
  private readonly ref: number;
  /** t = ΔT w (its projection β is formed only where needed), c = U_nᵀ t, d = U↑ᵀ t↓, e = U↑ᵀ t↑. */
  private readonly beta: Cvec;
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  private readonly dRe: Float64Array;
  private readonly dIm: Float64Array;
  private readonly eRe: Float64Array;
  private readonly eIm: Float64Array;
  private readonly tq: Cvec;
  private readonly alpha: Cvec;
  private readonly rhs: Cvec;

  constructor(
    private readonly m: ModeSensitivity,
    private readonly nb: number,
  ) {
    this.df = new Float64Array(nb);
    this.dz = new Float64Array(nb);
    this.dshape = new Float64Array(nb * m.l);
    let ref = 0;
    for (let c = 1; c < m.l; c++) {
      if (
        Math.hypot(m.phi.re[c] as number, m.phi.im[c] as number) >
        Math.hypot(m.phi.re[ref] as number, m.phi.im[ref] as number)
      )
        ref = c;
    }
    this.ref = ref;
    this.beta = cvec(m.p);
    this.cRe = new Float64Array(m.n);
    this.cIm = new Float64Array(m.n);
    this.dRe = new Float64Array(m.n);
    this.dIm = new Float64Array(m.n);
    this.eRe = new Float64Array(m.n);
    this.eIm = new Float64Array(m.n);
    this.tq = cvec(m.q);
    this.alpha = cvec(m.n);
    this.rhs = cvec(m.n + 1);
  }

  /** Block g's first-order changes, with ΔT loaded in `op`. */
  add(g: number, op: BlockToeplitzOperator): void {
    const { m, beta, tq, alpha, rhs } = this;
    const { n, p, l, model } = m;
    const { u, v, sigma } = model.svd;
    // 1. t = ΔT w and, in one pass over U_n, e = U↑ᵀ t↑, c = U_nᵀ t = e + U_lastᵀ t_last and
    //    d = U↑ᵀ t↓. With β = (I − P)t = t − U c:
    //    U↑ᵀ(β↓ − μβ↑) = d − μ e − (G↓ − μ G↑) c, G↓ = U↑ᵀU↓ and G↑ = U↑ᵀU↑ precomputed — so β
    //    itself is needed only in its first block row.
    op.times(m.w.re, m.w.im, beta.re, beta.im);
    const { cRe, cIm, dRe, dIm, eRe, eIm } = this;
    for (let k = 0; k < n; k++) {
      let cr = 0;
      let ci = 0;
      let dr = 0;
      let di = 0;
      const col = k * p;
      for (let i = 0; i < p - l; i++) {
        const uu = u[col + i] as number;
        cr += uu * (beta.re[i] as number);
        ci += uu * (beta.im[i] as number);
        dr += uu * (beta.re[i + l] as number);
        di += uu * (beta.im[i + l] as number);
      }
      let lr = 0;
      let li = 0;
      for (let i = p - l; i < p; i++) {
        const uu = u[col + i] as number;
        lr += uu * (beta.re[i] as number);
        li += uu * (beta.im[i] as number);
      }
      eRe[k] = cr;
      eIm[k] = ci;
      cRe[k] = cr + lr;
      cIm[k] = ci + li;
      dRe[k] = dr;
      dIm[k] = di;
    }
    // α = S^{-½} V_nᵀ ΔTᵀ x'.
    op.transposeTimes(m.x.re, m.x.im, tq.re, tq.im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      const col = k * m.q;
      for (let i = 0; i < m.q; i++) {
        const vv = v[col + i] as number;
        sr += vv * (tq.re[i] as number);
        si += vv * (tq.im[i] as number);
      }
      const s = 1 / Math.sqrt(sigma[k] as number);
      alpha.re[k] = sr * s;
      alpha.im[k] = si * s;
    }
    // 2. y = α + S^½ U↑ᵀ(β↓ − μβ↑); then d = ΔAψ = R_n⁻¹ R_n⁻ᵀ y.
    const [mr, mi] = m.mu;
    for (let k = 0; k < n; k++) {
      const er = eRe[k] as number;
      const ei = eIm[k] as number;
      let sr = (dRe[k] as number) - (mr * er - mi * ei);
      let si = (dIm[k] as number) - (mr * ei + mi * er);
      for (let j = 0; j < n; j++) {
        const gd = m.gDown[k * n + j] as number;
        const gu = m.gUp[k * n + j] as number;
        const cr = cRe[j] as number;
        const ci = cIm[j] as number;
        // − (G↓ − μ G↑) c
        sr -= gd * cr - gu * (mr * cr - mi * ci);
        si -= gd * ci - gu * (mr * ci + mi * cr);
      }
      const s = Math.sqrt(sigma[k] as number);
      rhs.re[k] = (alpha.re[k] as number) + s * sr;
      rhs.im[k] = (alpha.im[k] as number) + s * si;
    }
    solveNormal(model.shift.r, model.shift.nMax, n, rhs);
    // 3. Δμ = a·d; Δψ from the bordered system with right-hand side −(d − Δμψ).
    const [dmr, dmi] = cdot(m.a, rhs);
    for (let k = 0; k < n; k++) {
      const pr = m.psi.re[k] as number;
      const pi = m.psi.im[k] as number;
      rhs.re[k] = -((rhs.re[k] as number) - (dmr * pr - dmi * pi));
      rhs.im[k] = -((rhs.im[k] as number) - (dmr * pi + dmi * pr));
    }
    rhs.re[n] = 0;
    rhs.im[n] = 0;
    m.bordered.solve(rhs.re, rhs.im);
    // 4. Δλ = fs Δμ/μ → Δf, Δζ.
    const muAbs2 = mr * mr + mi * mi;
    const dlr = (m.fs * (dmr * mr + dmi * mi)) / muAbs2;
    const dli = (m.fs * (dmi * mr - dmr * mi)) / muAbs2;
    const [lr, li] = m.lambda;
    const lAbs = Math.hypot(lr, li);
    const proj = lr * dlr + li * dli; // Re(λ̄ Δλ)
    this.df[g] = proj / (2 * Math.PI * lAbs);
    this.dz[g] = -dlr / lAbs + (lr * proj) / lAbs ** 3;
    // 5. Δφ = β[0:l] + C Δψ, C = U[0:l, :n] S^½; then Δ(φ/φ_m).
    const ref = this.ref;
    const dphi = cvec(l);
    for (let c = 0; c < l; c++) {
      let sr = beta.re[c] as number;
      let si = beta.im[c] as number;
      for (let k = 0; k < n; k++) {
        const uc = u[k * p + c] as number;
        const cc = uc * Math.sqrt(sigma[k] as number);
        sr += cc * (rhs.re[k] as number) - uc * (cRe[k] as number);
        si += cc * (rhs.im[k] as number) - uc * (cIm[k] as number);
      }
      dphi.re[c] = sr;
      dphi.im[c] = si;
    }
    const fr = m.phi.re[ref] as number;
    const fi = m.phi.im[ref] as number;
    const f2 = fr * fr + fi * fi;
    for (let c = 0; c < l; c++) {
      // φ_c/φ_m and (Δφ_c − (φ_c/φ_m) Δφ_m)/φ_m, real part.
      const qr = ((m.phi.re[c] as number) * fr + (m.phi.im[c] as number) * fi) / f2;
      const qi = ((m.phi.im[c] as number) * fr - (m.phi.re[c] as number) * fi) / f2;
      const er = (dphi.re[c] as number) - (qr * (dphi.re[ref] as number) - qi * (dphi.im[ref] as number));
      const ei = (dphi.im[c] as number) - (qr * (dphi.im[ref] as number) + qi * (dphi.re[ref] as number));
      this.dshape[g * l + c] = (er * fr + ei * fi) / f2;
    }
  }

  changes(): { frequency: Float64Array; damping: Float64Array } {
    return { frequency: this.df, damping: this.dz };
  }

  result(): ModalUncertainty {
    const { nb, m, df, dz, dshape } = this;
    let sf = 0;
    let sz = 0;
    for (let g = 0; g < nb; g++) {
      sf += (df[g] as number) ** 2;
      sz += (dz[g] as number) ** 2;
    }
    // The real unit-max shape: φ/φ_m (real part; φ_m the largest component).
    const fr = m.phi.re[this.ref] as number;
    const fi = m.phi.im[this.ref] as number;
    const f2 = fr * fr + fi * fi;
    const shape = Float64Array.from(
      { length: m.l },
      (_, c) => ((m.phi.re[c] as number) * fr + (m.phi.im[c] as number) * fi) / f2,
    );
    return {
      frequencyStd: Math.sqrt(sf),
      dampingStd: Math.sqrt(sz),
      ...shapeStatistics(shape, dshape, nb),
      method: 'perturbation',
      blocks: nb,
    };
  }
}

/** d ← (RᵀR)⁻¹ d for the leading n×n block of the upper-triangular R (row-major, stride nMax). */
function solveNormal(r: Float64Array, nMax: number, n: number, d: Cvec): void {
  for (const x of [d.re, d.im]) {
    for (let i = 0; i < n; i++) {
      let s = x[i] as number;
      for (let k = 0; k < i; k++) s -= (r[k * nMax + i] as number) * (x[k] as number);
      x[i] = s / (r[i * nMax + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i] as number;
      for (let k = i + 1; k < n; k++) s -= (r[i * nMax + k] as number) * (x[k] as number);
      x[i] = s / (r[i * nMax + i] as number);
    }
  }
}
