import { luFactor, luSolve } from './lu.js';

/**
 * Matrix exponential by scaling and squaring with a diagonal Padé approximant (Moler & Van Loan
 * 2003, "Nineteen dubious ways…", method 3; Golub & Van Loan, Matrix Computations, 4th ed.,
 * Alg. 9.3.1): scale A by 2^-s so that ‖A/2^s‖∞ ≤ 1/2, evaluate the (6,6) Padé approximant
 * N(A)/D(A), then square s times. The (q,q) error bound 2^{3-2q} (q!)²/((2q)!(2q+1)!) is
 * ≈ 3.4e-16 for q = 6, i.e. at machine precision relative to the scaled norm.
 *
 * Used by the synthetic generator for the exact zero-order-hold discretisation of each mode.
 */
const PADE_DEGREE = 6;

export function expm(a: Float64Array, n: number): Float64Array {
  let normInf = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(a[i * n + j] as number);
    normInf = Math.max(normInf, s);
  }
  const s = normInf > 0.5 ? Math.max(0, Math.ceil(Math.log2(normInf / 0.5))) : 0;
  const scale = 2 ** -s;
  const x = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) x[i] = (a[i] as number) * scale;
  // N = Σ c_k X^k, D = Σ (-1)^k c_k X^k with c_k = c_{k-1} (q-k+1) / (k (2q-k+1)).
  const num = identity(n);
  const den = identity(n);
  let power = identity(n);
  let c = 1;
  for (let k = 1; k <= PADE_DEGREE; k++) {
    c = (c * (PADE_DEGREE - k + 1)) / (k * (2 * PADE_DEGREE - k + 1));
    power = multiply(power, x, n);
    const sign = k % 2 === 0 ? 1 : -1;
    for (let i = 0; i < n * n; i++) {
      num[i] = (num[i] as number) + c * (power[i] as number);
      den[i] = (den[i] as number) + sign * c * (power[i] as number);
    }
  }
  const factors = luFactor(den, n);
  luSolve(factors, num, n);
  let result = num;
  for (let k = 0; k < s; k++) result = multiply(result, result, n);
  return result;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/** C = A B for row-major n×n matrices. */
export function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = (c[i * n + j] as number) + aik * (b[k * n + j] as number);
    }
  }
  return c;
}
