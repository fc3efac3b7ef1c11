import { InvalidOptionError } from '../errors.js';

/**
 * Eigenvalues and eigenvectors of a real non-symmetric matrix (the SSI state matrix A):
 *  1. Householder reduction to upper Hessenberg form H = Zᵀ A Z;
 *  2. Francis double-shift QR iteration to the real Schur form T = Zᵀ A Z (quasi-triangular,
 *     2×2 blocks only for complex-conjugate pairs), accumulating Z;
 *  3. eigenvectors on demand by complex back-substitution in T, mapped back with Z.
 * Golub & Van Loan, Matrix Computations, 4th ed., §7.4–7.6 (Algorithms 7.4.2, 7.5.1, 7.5.2).
 *
 * All matrices are n×n row-major. One solver instance owns its workspace and can be reused for
 * any size up to the capacity it was built with.
 */
export class RealEigenSolver {
  readonly capacity: number;
  private n = 0;
  private readonly h: Float64Array;
  private readonly z: Float64Array;
  private readonly v: Float64Array;
  private readonly yr: Float64Array;
  private readonly yi: Float64Array;
  /** Real and imaginary parts of the eigenvalues of the last decomposed matrix. */
  readonly wr: Float64Array;
  readonly wi: Float64Array;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidOptionError('capacity', `matrix size must be ≥ 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.h = new Float64Array(capacity * capacity);
    this.z = new Float64Array(capacity * capacity);
    this.v = new Float64Array(capacity);
    this.yr = new Float64Array(capacity);
    this.yi = new Float64Array(capacity);
    this.wr = new Float64Array(capacity);
    this.wi = new Float64Array(capacity);
  }

  /**
   * Computes the real Schur form of `a` (n×n, row-major, not modified). Eigenvalues land in
   * `wr`/`wi` (a complex pair occupies two consecutive slots, positive imaginary part first).
   * Returns false if the QR iteration did not converge.
   */
  decompose(a: Float64Array, n: number): boolean {
    if (n > this.capacity)
      throw new InvalidOptionError('n', `matrix size ${n} exceeds capacity ${this.capacity}`);
    this.n = n;
    const h = this.h;
    h.set(a.subarray(0, n * n));
    const z = this.z;
    z.fill(0, 0, n * n);
    for (let i = 0; i < n; i++) z[i * n + i] = 1;
    this.hessenberg();
    return this.francis();
  }

  /** Householder reduction to Hessenberg form with accumulation of Z (GVL Alg. 7.4.2). */
  private hessenberg(): void {
    const { n, h, z, v } = this;
    for (let k = 0; k < n - 2; k++) {
      let norm = 0;
      for (let i = k + 1; i < n; i++) norm += (h[i * n + k] as number) ** 2;
      norm = Math.sqrt(norm);
      if (norm === 0) continue;
      const x0 = h[(k + 1) * n + k] as number;
      const alpha = x0 >= 0 ? -norm : norm;
      for (let i = k + 1; i < n; i++) v[i] = h[i * n + k] as number;
      v[k + 1] = x0 - alpha;
      let vv = 0;
      for (let i = k + 1; i < n; i++) vv += (v[i] as number) ** 2;
      if (vv === 0) continue;
      const beta = 2 / vv;
      // H ← (I - β v vᵀ) H on rows k+1.., columns k..
      for (let j = k; j < n; j++) {
        let s = 0;
        for (let i = k + 1; i < n; i++) s += (v[i] as number) * (h[i * n + j] as number);
        s *= beta;
        for (let i = k + 1; i < n; i++) h[i * n + j] = (h[i * n + j] as number) - s * (v[i] as number);
      }
      // H ← H (I - β v vᵀ) and Z ← Z (I - β v vᵀ) on columns k+1..
      for (const m of [h, z]) {
        for (let i = 0; i < n; i++) {
          const row = i * n;
          let s = 0;
          for (let j = k + 1; j < n; j++) s += (m[row + j] as number) * (v[j] as number);
          s *= beta;
          for (let j = k + 1; j < n; j++) m[row + j] = (m[row + j] as number) - s * (v[j] as number);
        }
      }
      h[(k + 1) * n + k] = alpha;
      for (let i = k + 2; i < n; i++) h[i * n + k] = 0;
    }
  }

  /** Francis double-shift QR with deflation, full Schur form and Z (GVL Alg. 7.5.1–7.5.2). */
  private francis(): boolean {
    const { n, h, wr, wi } = this;
    let norm = 0;
    for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(h[i] as number));
    if (norm === 0) norm = 1;
    let hi = n - 1;
    let iterations = 0;
    let total = 0;
    while (hi >= 0) {
      let l = hi;
      for (; l > 0; l--) {
        let s = Math.abs(h[(l - 1) * n + l - 1] as number) + Math.abs(h[l * n + l] as number);
        if (s === 0) s = norm;
        if (Math.abs(h[l * n + l - 1] as number) < Number.EPSILON * s) {
          h[l * n + l - 1] = 0;
          break;
        }
      }
      if (l === hi) {
        wr[hi] = h[hi * n + hi] as number;
        wi[hi] = 0;
        hi -= 1;
        iterations = 0;
        continue;
      }
      if (l === hi - 1) {
        this.split2x2(hi - 1);
        hi -= 2;
        iterations = 0;
        continue;
      }
      iterations++;
      if (++total > 60 * n) return false;
      let s: number;
      let t: number;
      if (iterations % 11 === 10) {
        // Exceptional shift against cycling (Wilkinson's ad hoc choice, as in EISPACK).
        const w = Math.abs(h[hi * n + hi - 1] as number) + Math.abs(h[(hi - 1) * n + hi - 2] as number);
        s = 1.5 * w + (h[hi * n + hi] as number);
        t = w * w;
      } else {
        const a = h[(hi - 1) * n + hi - 1] as number;
        const b = h[(hi - 1) * n + hi] as number;
        const c = h[hi * n + hi - 1] as number;
        const d = h[hi * n + hi] as number;
        s = a + d;
        t = a * d - b * c;
      }
      this.francisStep(l, hi, s, t);
    }
    return true;
  }

  /** One implicit double-shift sweep on the active block l..hi (bulge chase). */
  private francisStep(l: number, hi: number, s: number, t: number): void {
    const { n, h, z } = this;
    const h00 = h[l * n + l] as number;
    const h10 = h[(l + 1) * n + l] as number;
    // First column of H² - sH + tI.
    let x = h00 * h00 + (h[l * n + l + 1] as number) * h10 - s * h00 + t;
    let y = h10 * (h00 + (h[(l + 1) * n + l + 1] as number) - s);
    let w = h10 * (h[(l + 2) * n + l + 1] as number);
    for (let k = l; k < hi; k++) {
      const three = k < hi - 1;
      if (k > l) {
        x = h[k * n + k - 1] as number;
        y = h[(k + 1) * n + k - 1] as number;
        w = three ? (h[(k + 2) * n + k - 1] as number) : 0;
      }
      const norm = Math.hypot(x, y, w);
      if (norm === 0) continue;
      const nu = x >= 0 ? norm : -norm;
      // Reflector P = I - 2 u uᵀ/(uᵀu), u = (x + ν, y, w): P (x, y, w) = (-ν, 0, 0).
      const u0 = x + nu;
      const u1 = y;
      const u2 = three ? w : 0;
      const beta = 2 / (u0 * u0 + u1 * u1 + u2 * u2);
      if (k > l) {
        h[k * n + k - 1] = -nu;
        h[(k + 1) * n + k - 1] = 0;
        if (three) h[(k + 2) * n + k - 1] = 0;
      }
      // Rows k..k+2, columns k..n-1.
      for (let j = k; j < n; j++) {
        const a0 = h[k * n + j] as number;
        const a1 = h[(k + 1) * n + j] as number;
        const a2 = three ? (h[(k + 2) * n + j] as number) : 0;
        const f = beta * (u0 * a0 + u1 * a1 + u2 * a2);
        h[k * n + j] = a0 - f * u0;
        h[(k + 1) * n + j] = a1 - f * u1;
        if (three) h[(k + 2) * n + j] = a2 - f * u2;
      }
      // Columns k..k+2 of H (rows 0..min(k+3, hi)) and of Z (all rows).
      const last = Math.min(k + 3, hi);
      for (let i = 0; i <= last; i++) reflectRow(h, i * n + k, beta, u0, u1, u2, three);
      for (let i = 0; i < n; i++) reflectRow(z, i * n + k, beta, u0, u1, u2, three);
    }
  }

  /** Deflated 2×2 block at rows m, m+1: record its eigenvalues; split it if they are real. */
  private split2x2(m: number): void {
    const { n, h, z, wr, wi } = this;
    const a = h[m * n + m] as number;
    const b = h[m * n + m + 1] as number;
    const c = h[(m + 1) * n + m] as number;
    const d = h[(m + 1) * n + m + 1] as number;
    const p = 0.5 * (a - d);
    const q = p * p + b * c;
    if (q < 0) {
      wr[m] = 0.5 * (a + d);
      wr[m + 1] = 0.5 * (a + d);
      wi[m] = Math.sqrt(-q);
      wi[m + 1] = -Math.sqrt(-q);
      return;
    }
    // Real pair: rotate so the block becomes upper triangular (first column → eigenvector).
    const root = Math.sqrt(q);
    const lambda = d + p + (p >= 0 ? root : -root);
    let vx = b;
    let vy = lambda - a;
    const altX = lambda - d;
    const altY = c;
    if (Math.hypot(altX, altY) > Math.hypot(vx, vy)) {
      vx = altX;
      vy = altY;
    }
    const r = Math.hypot(vx, vy);
    if (r > 0) {
      const cs = vx / r;
      const sn = vy / r;
      for (let j = m; j < n; j++) {
        const x0 = h[m * n + j] as number;
        const x1 = h[(m + 1) * n + j] as number;
        h[m * n + j] = cs * x0 + sn * x1;
        h[(m + 1) * n + j] = -sn * x0 + cs * x1;
      }
      for (const mat of [h, z]) {
        const rows = mat === h ? m + 2 : n;
        for (let i = 0; i < rows; i++) {
          const x0 = mat[i * n + m] as number;
          const x1 = mat[i * n + m + 1] as number;
          mat[i * n + m] = cs * x0 + sn * x1;
          mat[i * n + m + 1] = -sn * x0 + cs * x1;
        }
      }
    }
    h[(m + 1) * n + m] = 0;
    wr[m] = h[m * n + m] as number;
    wr[m + 1] = h[(m + 1) * n + m + 1] as number;
    wi[m] = 0;
    wi[m + 1] = 0;
  }

  /**
   * Unit-norm eigenvector for eigenvalue `index` (of the last decomposition) into (outRe, outIm).
   * For a complex pair, `index` must be the slot with positive imaginary part; the other member's
   * vector is the conjugate.
   */
  eigenvector(index: number, outRe: Float64Array, outIm: Float64Array): void {
    const { n, h, z, yr, yi, wr, wi } = this;
    const lr = wr[index] as number;
    const li = wi[index] as number;
    yr.fill(0, 0, n);
    yi.fill(0, 0, n);
    let top: number;
    if (li === 0) {
      yr[index] = 1;
      top = index;
    } else {
      // Null vector of the 2×2 block [[a, b], [c, d]] - λI.
      const a = h[index * n + index] as number;
      const b = h[index * n + index + 1] as number;
      const c = h[(index + 1) * n + index] as number;
      const d = h[(index + 1) * n + index + 1] as number;
      const opt1 = Math.hypot(b, lr - a, li);
      const opt2 = Math.hypot(lr - d, li, c);
      if (opt1 >= opt2) {
        yr[index] = b;
        yr[index + 1] = lr - a;
        yi[index + 1] = li;
      } else {
        yr[index] = lr - d;
        yi[index] = li;
        yr[index + 1] = c;
      }
      top = index + 1;
    }
    let norm = 0;
    for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(h[i] as number));
    const small = Math.max(norm, Number.MIN_VALUE) * Number.EPSILON;
    const lastRow = li === 0 ? index : index;
    for (let i = lastRow - 1; i >= 0; ) {
      const pairBelow = i > 0 && (h[i * n + i - 1] as number) !== 0;
      if (!pairBelow) {
        let sr = 0;
        let si = 0;
        for (let j = i + 1; j <= top; j++) {
          sr += (h[i * n + j] as number) * (yr[j] as number);
          si += (h[i * n + j] as number) * (yi[j] as number);
        }
        let dr = (h[i * n + i] as number) - lr;
        const di = -li;
        if (Math.hypot(dr, di) < small) dr = small;
        // y_i = -(s) / (T_ii - λ)
        const den = dr * dr + di * di;
        yr[i] = -(sr * dr + si * di) / den;
        yi[i] = -(si * dr - sr * di) / den;
        i -= 1;
      } else {
        const i0 = i - 1;
        let s0r = 0;
        let s0i = 0;
        let s1r = 0;
        let s1i = 0;
        for (let j = i + 1; j <= top; j++) {
          s0r += (h[i0 * n + j] as number) * (yr[j] as number);
          s0i += (h[i0 * n + j] as number) * (yi[j] as number);
          s1r += (h[i * n + j] as number) * (yr[j] as number);
          s1i += (h[i * n + j] as number) * (yi[j] as number);
        }
        // [[p, q], [r, s]] (y0, y1) = -(s0, s1) with p = T00 - λ, s = T11 - λ (complex).
        const pr = (h[i0 * n + i0] as number) - lr;
        const pi = -li;
        const qr = h[i0 * n + i] as number;
        const rr = h[i * n + i0] as number;
        const sr = (h[i * n + i] as number) - lr;
        const si = -li;
        let detR = pr * sr - pi * si - qr * rr;
        const detI = pr * si + pi * sr;
        if (Math.hypot(detR, detI) < small) detR = small;
        // y0 = (-(s0)·s + q·s1) / det ; y1 = (-(s1)·p + r·s0) / det
        const n0r = -(s0r * sr - s0i * si) + qr * s1r;
        const n0i = -(s0r * si + s0i * sr) + qr * s1i;
        const n1r = -(s1r * pr - s1i * pi) + rr * s0r;
        const n1i = -(s1r * pi + s1i * pr) + rr * s0i;
        const den = detR * detR + detI * detI;
        yr[i0] = (n0r * detR + n0i * detI) / den;
        yi[i0] = (n0i * detR - n0r * detI) / den;
        yr[i] = (n1r * detR + n1i * detI) / den;
        yi[i] = (n1i * detR - n1r * detI) / den;
        i -= 2;
      }
      // Rescale to keep the growing back-substitution away from overflow.
      if (i >= 0 && i % 8 === 0) rescale(yr, yi, top);
    }
    // ψ = Z y, normalised.
    let nrm = 0;
    for (let r = 0; r < n; r++) {
      let sr = 0;
      let si = 0;
      const row = r * n;
      for (let j = 0; j <= top; j++) {
        sr += (z[row + j] as number) * (yr[j] as number);
        si += (z[row + j] as number) * (yi[j] as number);
      }
      outRe[r] = sr;
      outIm[r] = si;
      nrm += sr * sr + si * si;
    }
    nrm = Math.sqrt(nrm);
    if (nrm > 0) {
      for (let r = 0; r < n; r++) {
        outRe[r] = (outRe[r] as number) / nrm;
        outIm[r] = (outIm[r] as number) / nrm;
      }
    }
  }
}

function reflectRow(
  m: Float64Array,
  at: number,
  beta: number,
  u0: number,
  u1: number,
  u2: number,
  three: boolean,
): void {
  const a0 = m[at] as number;
  const a1 = m[at + 1] as number;
  const a2 = three ? (m[at + 2] as number) : 0;
  const f = beta * (a0 * u0 + a1 * u1 + a2 * u2);
  m[at] = a0 - f * u0;
  m[at + 1] = a1 - f * u1;
  if (three) m[at + 2] = a2 - f * u2;
}

function rescale(yr: Float64Array, yi: Float64Array, top: number): void {
  let big = 0;
  for (let j = 0; j <= top; j++) big = Math.max(big, Math.abs(yr[j] as number), Math.abs(yi[j] as number));
  if (big < 1e100) return;
  const s = 1 / big;
  for (let j = 0; j <= top; j++) {
    yr[j] = (yr[j] as number) * s;
    yi[j] = (yi[j] as number) * s;
  }
}
