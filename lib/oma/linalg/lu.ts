/**
 * LU factorisation with partial pivoting, P A = L U, for small dense systems (Golub & Van Loan,
 * Matrix Computations, 4th ed., Alg. 3.4.1). Row-major n×n; factors overwrite the input.
 */
export interface LuFactors {
  readonly n: number;
  readonly lu: Float64Array;
  readonly pivots: Int32Array;
  /** False if a zero pivot was met (the matrix is singular to working precision). */
  readonly nonSingular: boolean;
}

export function luFactor(a: Float64Array, n: number): LuFactors {
  const pivots = new Int32Array(n);
  let nonSingular = true;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k] as number);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k] as number);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    pivots[k] = p;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j] as number;
        a[k * n + j] = a[p * n + j] as number;
        a[p * n + j] = t;
      }
    }
    const pivot = a[k * n + k] as number;
    if (pivot === 0) {
      nonSingular = false;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] as number) / pivot;
      a[i * n + k] = f;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] = (a[i * n + j] as number) - f * (a[k * n + j] as number);
    }
  }
  return { n, lu: a, pivots, nonSingular };
}

/** Solves A X = B in place for B (row-major n×m) given the factors of A. */
export function luSolve(f: LuFactors, b: Float64Array, m: number): void {
  const { n, lu, pivots } = f;
  for (let k = 0; k < n; k++) {
    const p = pivots[k] as number;
    if (p === k) continue;
    for (let j = 0; j < m; j++) {
      const t = b[k * m + j] as number;
      b[k * m + j] = b[p * m + j] as number;
      b[p * m + j] = t;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const l = lu[i * n + k] as number;
      if (l === 0) continue;
      for (let j = 0; j < m; j++) b[i * m + j] = (b[i * m + j] as number) - l * (b[k * m + j] as number);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const u = lu[i * n + k] as number;
      if (u === 0) continue;
      for (let j = 0; j < m; j++) b[i * m + j] = (b[i * m + j] as number) - u * (b[k * m + j] as number);
    }
    const d = lu[i * n + i] as number;
    for (let j = 0; j < m; j++) b[i * m + j] = (b[i * m + j] as number) / d;
  }
}
