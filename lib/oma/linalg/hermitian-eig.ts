import { InvalidOptionError } from '../errors.js';
import { solveShiftedTridiagonal, tridiagonalQl } from './tridiagonal-ql.js';

/**
 * Eigen-decomposition of a complex Hermitian matrix A = V Λ Vᴴ — for a Hermitian positive
 * semi-definite matrix (a cross-spectral density matrix) this is its SVD, as FDD needs it
 * (Brincker, Zhang & Andersen 2001).
 *
 * Method (Golub & Van Loan, Matrix Computations, 4th ed., §8.3):
 *  1. Householder reduction to tridiagonal form, Qᴴ A Q = T, with complex reflectors
 *     H = I - τ v vᴴ chosen so that H x = α e₁, α = -e^{i arg x₀}‖x‖ (no cancellation);
 *  2. a diagonal unitary D makes T real: T = D T_r Dᴴ with a non-negative sub-diagonal;
 *  3. implicit QL on T_r (all eigenvalues, O(n²));
 *  4. eigenvectors either for all values (QL with accumulation) or only for the `count` largest
 *     by inverse iteration on T_r, then mapped back: v = Q D z.
 * FDD needs all singular values but only the first one or two vectors per frequency line, so
 * the partial path saves about two thirds of the work there.
 *
 * The solver owns its workspace; one instance serves many matrices of the same size.
 */
export class HermitianEigenSolver {
  readonly n: number;
  // Reflectors: row k holds v_k (indices k+1..n-1 used), tau[k] its scale.
  private readonly vr: Float64Array;
  private readonly vi: Float64Array;
  private readonly tau: Float64Array;
  private readonly d: Float64Array;
  private readonly e: Float64Array;
  private readonly phaseRe: Float64Array;
  private readonly phaseIm: Float64Array;
  private readonly pr: Float64Array;
  private readonly pi: Float64Array;
  private readonly zt: Float64Array;
  private readonly order: Int32Array;
  private readonly x: Float64Array;
  private readonly work: Float64Array;
  private readonly dCopy: Float64Array;
  private readonly eCopy: Float64Array;
  private readonly previous: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError('n', `matrix size must be ≥ 1, got ${n}`);
    this.n = n;
    this.vr = new Float64Array(n * n);
    this.vi = new Float64Array(n * n);
    this.tau = new Float64Array(n);
    this.d = new Float64Array(n);
    this.e = new Float64Array(n);
    this.phaseRe = new Float64Array(n);
    this.phaseIm = new Float64Array(n);
    this.pr = new Float64Array(n);
    this.pi = new Float64Array(n);
    this.zt = new Float64Array(n * n);
    this.order = new Int32Array(n);
    this.x = new Float64Array(n);
    this.work = new Float64Array(4 * n);
    this.dCopy = new Float64Array(n);
    this.eCopy = new Float64Array(n);
    this.previous = new Float64Array(n * n);
  }

  /**
   * Decomposes the Hermitian matrix (ar + i·ai, n×n row-major; only the lower triangle is read and
   * both arrays are overwritten). Writes the eigenvalues in descending order to `values` and, for
   * j < count, eigenvector j to row j of (vecRe, vecIm) (each n·count long). Eigenvectors have unit
   * norm; their complex phase is arbitrary. Returns false if QL did not converge.
   */
  decompose(
    ar: Float64Array,
    ai: Float64Array,
    values: Float64Array,
    count = 0,
    vecRe?: Float64Array,
    vecIm?: Float64Array,
  ): boolean {
    const n = this.n;
    this.tridiagonalize(ar, ai);
    const { d, e, zt, order } = this;
    const full = count > 0 && count * 3 > n;
    if (full) {
      zt.fill(0);
      for (let i = 0; i < n; i++) zt[i * n + i] = 1;
    } else if (count > 0) {
      this.dCopy.set(d);
      this.eCopy.set(e);
    }
    if (!tridiagonalQl(d, e, n, full ? zt : undefined)) return false;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (d[b] as number) - (d[a] as number));
    for (let i = 0; i < n; i++) values[i] = d[order[i] as number] as number;
    if (count <= 0 || vecRe === undefined || vecIm === undefined) return true;
    for (let j = 0; j < count; j++) {
      const x = this.x;
      if (full) {
        x.set(zt.subarray((order[j] as number) * n, (order[j] as number) * n + n));
      } else {
        this.inverseIteration(values, j);
        this.previous.set(this.x, j * n);
      }
      this.backTransform(j, vecRe, vecIm);
    }
    return true;
  }

  /** Householder reduction; fills d, e (real, e ≥ 0), the reflectors and the phase D. */
  private tridiagonalize(ar: Float64Array, ai: Float64Array): void {
    const n = this.n;
    const { vr, vi, tau, d, e, pr, pi } = this;
    // Work on the full Hermitian matrix: mirror the lower triangle into the upper one.
    for (let i = 0; i < n; i++) {
      ai[i * n + i] = 0;
      for (let j = 0; j < i; j++) {
        ar[j * n + i] = ar[i * n + j] as number;
        ai[j * n + i] = -(ai[i * n + j] as number);
      }
    }
    const subRe = this.phaseRe; // temporary: complex sub-diagonal before the phase normalisation
    const subIm = this.phaseIm;
    for (let k = 0; k < n - 1; k++) {
      d[k] = ar[k * n + k] as number;
      // x = A[k+1.., k]
      let sigma2 = 0;
      for (let i = k + 1; i < n; i++)
        sigma2 += (ar[i * n + k] as number) ** 2 + (ai[i * n + k] as number) ** 2;
      const x0r = ar[(k + 1) * n + k] as number;
      const x0i = ai[(k + 1) * n + k] as number;
      const sigma = Math.sqrt(sigma2);
      const row = k * n;
      if (sigma === 0) {
        tau[k] = 0;
        subRe[k] = 0;
        subIm[k] = 0;
        continue;
      }
      const abs0 = Math.hypot(x0r, x0i);
      const phr = abs0 === 0 ? 1 : x0r / abs0;
      const phi = abs0 === 0 ? 0 : x0i / abs0;
      // α = -e^{iθ}σ; v = x - α e₁, so v₀ = e^{iθ}(|x₀| + σ).
      subRe[k] = -phr * sigma;
      subIm[k] = -phi * sigma;
      vr[row + k + 1] = phr * (abs0 + sigma);
      vi[row + k + 1] = phi * (abs0 + sigma);
      for (let i = k + 2; i < n; i++) {
        vr[row + i] = ar[i * n + k] as number;
        vi[row + i] = ai[i * n + k] as number;
      }
      // vᴴv = σ² - |x₀|² + (|x₀| + σ)² = 2σ(σ + |x₀|)
      const t = 1 / (sigma * (sigma + abs0));
      tau[k] = t;
      // p = τ A v over the trailing block
      let vhp = 0;
      for (let i = k + 1; i < n; i++) {
        let sr = 0;
        let si = 0;
        const ri = i * n;
        for (let j = k + 1; j < n; j++) {
          const a_r = ar[ri + j] as number;
          const a_i = ai[ri + j] as number;
          const v_r = vr[row + j] as number;
          const v_i = vi[row + j] as number;
          sr += a_r * v_r - a_i * v_i;
          si += a_r * v_i + a_i * v_r;
        }
        pr[i] = t * sr;
        pi[i] = t * si;
        // vᴴp accumulates conj(v_i)·p_i; it is real because A is Hermitian.
        vhp += (vr[row + i] as number) * t * sr + (vi[row + i] as number) * t * si;
      }
      // w = p - (τ vᴴp / 2) v ; A ← A - v wᴴ - w vᴴ
      const kk = 0.5 * t * vhp;
      for (let i = k + 1; i < n; i++) {
        pr[i] = (pr[i] as number) - kk * (vr[row + i] as number);
        pi[i] = (pi[i] as number) - kk * (vi[row + i] as number);
      }
      for (let i = k + 1; i < n; i++) {
        const v_r = vr[row + i] as number;
        const v_i = vi[row + i] as number;
        const w_r = pr[i] as number;
        const w_i = pi[i] as number;
        const ri = i * n;
        for (let j = k + 1; j < n; j++) {
          const wj_r = pr[j] as number;
          const wj_i = pi[j] as number;
          const vj_r = vr[row + j] as number;
          const vj_i = vi[row + j] as number;
          // v_i conj(w_j) + w_i conj(v_j)
          ar[ri + j] = (ar[ri + j] as number) - (v_r * wj_r + v_i * wj_i + w_r * vj_r + w_i * vj_i);
          ai[ri + j] = (ai[ri + j] as number) - (v_i * wj_r - v_r * wj_i + w_i * vj_r - w_r * vj_i);
        }
      }
    }
    d[n - 1] = ar[(n - 1) * n + n - 1] as number;
    // Phase normalisation: δ₀ = 1, δ_{k+1} = δ_k ε_k/|ε_k| makes the sub-diagonal |ε_k| ≥ 0.
    let cr = 1;
    let ci = 0;
    for (let k = 0; k < n - 1; k++) {
      const er = subRe[k] as number;
      const ei = subIm[k] as number;
      const mag = Math.hypot(er, ei);
      e[k] = mag;
      subRe[k] = cr;
      subIm[k] = ci;
      if (mag > 0) {
        const nr = (cr * er - ci * ei) / mag;
        const ni = (cr * ei + ci * er) / mag;
        cr = nr;
        ci = ni;
      }
    }
    subRe[n - 1] = cr;
    subIm[n - 1] = ci;
    e[n - 1] = 0;
  }

  /** Eigenvector of T_r for values[j] into this.x, orthogonal to the vectors already found. */
  private inverseIteration(values: Float64Array, j: number): void {
    const n = this.n;
    const { x, work, dCopy, eCopy } = this;
    let scale = 0;
    for (let i = 0; i < n; i++)
      scale = Math.max(scale, Math.abs(dCopy[i] as number) + Math.abs(eCopy[i] as number));
    // (MIN_VALUE·ε underflows to 0: a zero matrix — an all-zero spectral line — needs a floor.)
    const tiny = scale > 0 ? scale * Number.EPSILON : Number.MIN_VALUE;
    const lambda = values[j] as number;
    // Start from a vector unlikely to be deficient in the wanted direction.
    for (let i = 0; i < n; i++) x[i] = 1 + 0.618034 * ((i * 7 + j * 13) % 11) * 0.1;
    for (let iteration = 0; iteration < 3; iteration++) {
      solveShiftedTridiagonal(dCopy, eCopy, n, lambda, x, work, tiny);
      this.orthogonalizeAgainstPrevious(values, j);
      let norm = 0;
      for (let i = 0; i < n; i++) norm += (x[i] as number) ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > 0 && Number.isFinite(norm))) {
        x.fill(0);
        x[j % n] = 1;
        continue;
      }
      for (let i = 0; i < n; i++) x[i] = (x[i] as number) / norm;
    }
  }

  /**
   * Eigenvalues closer than √eps·‖T‖ make inverse iteration return the same direction twice;
   * Gram–Schmidt against the earlier vectors of the cluster (in T_r's basis, where they were
   * real) restores orthogonality.
   */
  private orthogonalizeAgainstPrevious(values: Float64Array, j: number): void {
    if (j === 0) return;
    const n = this.n;
    const gap = Math.sqrt(Number.EPSILON) * Math.max(Math.abs(values[0] as number), Number.MIN_VALUE);
    const prevStore = this.previous; // rows 0..j-1 hold earlier vectors in T_r's basis
    for (let p = 0; p < j; p++) {
      if (Math.abs((values[p] as number) - (values[j] as number)) > gap) continue;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (prevStore[p * n + i] as number) * (this.x[i] as number);
      for (let i = 0; i < n; i++) this.x[i] = (this.x[i] as number) - dot * (prevStore[p * n + i] as number);
    }
  }

  /** v = Q D x, written to row j of (vecRe, vecIm). */
  private backTransform(j: number, vecRe: Float64Array, vecIm: Float64Array): void {
    const n = this.n;
    const { x, vr, vi, tau } = this;
    const dr = this.phaseRe;
    const di = this.phaseIm;
    const yr = vecRe.subarray(j * n, j * n + n);
    const yi = vecIm.subarray(j * n, j * n + n);
    for (let i = 0; i < n; i++) {
      yr[i] = (dr[i] as number) * (x[i] as number);
      yi[i] = (di[i] as number) * (x[i] as number);
    }
    // Q = H₀ H₁ … H_{n-2}: apply the last reflector first.
    for (let k = n - 2; k >= 0; k--) {
      const t = tau[k] as number;
      if (t === 0) continue;
      const row = k * n;
      let sr = 0;
      let si = 0;
      for (let i = k + 1; i < n; i++) {
        const v_r = vr[row + i] as number;
        const v_i = vi[row + i] as number;
        // vᴴ y
        sr += v_r * (yr[i] as number) + v_i * (yi[i] as number);
        si += v_r * (yi[i] as number) - v_i * (yr[i] as number);
      }
      sr *= t;
      si *= t;
      for (let i = k + 1; i < n; i++) {
        const v_r = vr[row + i] as number;
        const v_i = vi[row + i] as number;
        yr[i] = (yr[i] as number) - (v_r * sr - v_i * si);
        yi[i] = (yi[i] as number) - (v_r * si + v_i * sr);
      }
    }
  }
}
