/**
 * LU factorisation with partial pivoting of a small dense complex matrix, P A = L U, and solves
 * with it (Golub & Van Loan, Matrix Computations, 4th ed., Alg. 3.4.1, in complex arithmetic).
 * Row-major n×n, real and imaginary parts in separate arrays; the factors overwrite the input.
 * Pivoting is on |a_ik| (the modulus), which keeps the multipliers ≤ 1 as in the real case.
 */
export class ComplexLu {
  readonly n: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
  readonly pivots: Int32Array;
  /** False if a zero pivot was met (singular to working precision). */
  readonly nonSingular: boolean;

  constructor(re: Float64Array, im: Float64Array, n: number) {
    this.n = n;
    this.re = re;
    this.im = im;
    this.pivots = new Int32Array(n);
    let nonSingular = true;
    for (let k = 0; k < n; k++) {
      let p = k;
      let best = Math.hypot(re[k * n + k] as number, im[k * n + k] as number);
      for (let i = k + 1; i < n; i++) {
        const v = Math.hypot(re[i * n + k] as number, im[i * n + k] as number);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      this.pivots[k] = p;
      if (p !== k) {
        swapRows(re, n, k, p);
        swapRows(im, n, k, p);
      }
      const pr = re[k * n + k] as number;
      const pi = im[k * n + k] as number;
      const den = pr * pr + pi * pi;
      if (den === 0) {
        nonSingular = false;
        continue;
      }
      for (let i = k + 1; i < n; i++) {
        const ar = re[i * n + k] as number;
        const ai = im[i * n + k] as number;
        // f = a_ik / a_kk
        const fr = (ar * pr + ai * pi) / den;
        const fi = (ai * pr - ar * pi) / den;
        re[i * n + k] = fr;
        im[i * n + k] = fi;
        for (let j = k + 1; j < n; j++) {
          const br = re[k * n + j] as number;
          const bi = im[k * n + j] as number;
          re[i * n + j] = (re[i * n + j] as number) - (fr * br - fi * bi);
          im[i * n + j] = (im[i * n + j] as number) - (fr * bi + fi * br);
        }
      }
    }
    this.nonSingular = nonSingular;
  }

  /** Solves A x = b in place (b's real and imaginary parts, length n). */
  solve(bRe: Float64Array, bIm: Float64Array): void {
    const { n, re, im, pivots } = this;
    for (let k = 0; k < n; k++) {
      const p = pivots[k] as number;
      if (p !== k) {
        swap(bRe, k, p);
        swap(bIm, k, p);
      }
    }
    for (let i = 1; i < n; i++) {
      let sr = bRe[i] as number;
      let si = bIm[i] as number;
      for (let k = 0; k < i; k++) {
        const lr = re[i * n + k] as number;
        const li = im[i * n + k] as number;
        sr -= lr * (bRe[k] as number) - li * (bIm[k] as number);
        si -= lr * (bIm[k] as number) + li * (bRe[k] as number);
      }
      bRe[i] = sr;
      bIm[i] = si;
    }
    for (let i = n - 1; i >= 0; i--) {
      let sr = bRe[i] as number;
      let si = bIm[i] as number;
      for (let k = i + 1; k < n; k++) {
        const ur = re[i * n + k] as number;
        const ui = im[i * n + k] as number;
        sr -= ur * (bRe[k] as number) - ui * (bIm[k] as number);
        si -= ur * (bIm[k] as number) + ui * (bRe[k] as number);
      }
      const dr = re[i * n + i] as number;
      const di = im[i * n + i] as number;
      const den = dr * dr + di * di;
      bRe[i] = (sr * dr + si * di) / den;
      bIm[i] = (si * dr - sr * di) / den;
    }
  }
}

function swapRows(a: Float64Array, n: number, i: number, j: number): void {
  for (let c = 0; c < n; c++) {
    const t = a[i * n + c] as number;
    a[i * n + c] = a[j * n + c] as number;
    a[j * n + c] = t;
  }
}

function swap(x: Float64Array, i: number, j: number): void {
  const t = x[i] as number;
  x[i] = x[j] as number;
  x[j] = t;
}
