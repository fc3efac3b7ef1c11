/**
 * Eigenvalues (and optionally eigenvectors) of a real symmetric tridiagonal matrix by the implicit
 * QL algorithm with Wilkinson-type shifts (Bowdler, Martin, Reinsch & Wilkinson 1968, "The QR and
 * QL algorithms for symmetric matrices"; Golub & Van Loan, Matrix Computations, 4th ed., §8.3).
 *
 * Layout: `d` (length n) is the diagonal, `e` (length n) the sub-diagonal with e[i] coupling rows
 * i and i+1 (e[n-1] is ignored). Both are overwritten. Eigenvectors, when requested, are
 * accumulated as ROWS of `zt` (row j is eigenvector j): rotations then touch two contiguous rows.
 */

const MAX_ITERATIONS_PER_VALUE = 60;

/**
 * Runs implicit QL in place. On return `d` holds the eigenvalues (unsorted) and, if `zt` is given
 * (n×n, row-major, initialised by the caller — identity for the tridiagonal's own eigenvectors),
 * `zt` rows are the corresponding eigenvectors. Returns false if an eigenvalue failed to converge.
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, n: number, zt?: Float64Array): boolean {
  if (n <= 1) return true;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      // Find the first negligible off-diagonal element at or below l: the block l..m is unreduced.
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m] as number) + Math.abs(d[m + 1] as number);
        if (Math.abs(e[m] as number) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > MAX_ITERATIONS_PER_VALUE) return false;
      // Shift from the leading 2×2 of the block (Wilkinson), written to avoid cancellation.
      const dl = d[l] as number;
      const el = e[l] as number;
      let g = ((d[l + 1] as number) - dl) / (2 * el);
      let r = Math.hypot(g, 1);
      g = (d[m] as number) - dl + el / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * (e[i] as number);
        const b = c * (e[i] as number);
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Recover from underflow: deflate and restart this eigenvalue.
          d[i + 1] = (d[i + 1] as number) - p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = (d[i + 1] as number) - p;
        r = ((d[i] as number) - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (zt !== undefined) rotateRows(zt, n, i, c, s);
      }
      if (underflow) continue;
      d[l] = (d[l] as number) - p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return true;
}

/** Applies the plane rotation of QL step i to rows i and i+1 of `zt`. */
function rotateRows(zt: Float64Array, n: number, i: number, c: number, s: number): void {
  const a = i * n;
  const b = a + n;
  for (let k = 0; k < n; k++) {
    const zi = zt[a + k] as number;
    const zi1 = zt[b + k] as number;
    zt[b + k] = s * zi + c * zi1;
    zt[a + k] = c * zi - s * zi1;
  }
}

/**
 * Solves (T - λI) x = b for a symmetric tridiagonal T by Gaussian elimination with partial
 * pivoting, the core of inverse iteration (Wilkinson, The Algebraic Eigenvalue Problem, §5.54).
 * `x` holds b on entry and the solution on exit; `work` needs 4n entries. A zero pivot is replaced
 * by `tiny` so that a shift exactly on an eigenvalue still gives a (huge) eigenvector direction.
 */
export function solveShiftedTridiagonal(
  d: Float64Array,
  e: Float64Array,
  n: number,
  lambda: number,
  x: Float64Array,
  work: Float64Array,
  tiny: number,
): void {
  // Row i of the eliminated system: u0[i] x_i + u1[i] x_{i+1} + u2[i] x_{i+2} = rhs_i.
  const u0 = work.subarray(0, n);
  const u1 = work.subarray(n, 2 * n);
  const u2 = work.subarray(2 * n, 3 * n);
  let a = (d[0] as number) - lambda;
  let b = n > 1 ? (e[0] as number) : 0;
  let c = 0;
  for (let i = 0; i < n - 1; i++) {
    const sub = e[i] as number;
    const nextDiag = (d[i + 1] as number) - lambda;
    const nextSup = i + 1 < n - 1 ? (e[i + 1] as number) : 0;
    if (Math.abs(a) >= Math.abs(sub)) {
      const piv = a === 0 ? tiny : a;
      const mult = sub / piv;
      u0[i] = piv;
      u1[i] = b;
      u2[i] = c;
      x[i + 1] = (x[i + 1] as number) - mult * (x[i] as number);
      a = nextDiag - mult * b;
      b = nextSup - mult * c;
      c = 0;
    } else {
      // Swap rows i and i+1.
      const mult = a / sub;
      u0[i] = sub;
      u1[i] = nextDiag;
      u2[i] = nextSup;
      const xi = x[i] as number;
      x[i] = x[i + 1] as number;
      x[i + 1] = xi - mult * (x[i] as number);
      const na = b - mult * nextDiag;
      const nb = c - mult * nextSup;
      a = na;
      b = nb;
      c = 0;
    }
  }
  u0[n - 1] = a === 0 ? tiny : a;
  u1[n - 1] = 0;
  u2[n - 1] = 0;
  for (let i = n - 1; i >= 0; i--) {
    let v = x[i] as number;
    if (i + 1 < n) v -= (u1[i] as number) * (x[i + 1] as number);
    if (i + 2 < n) v -= (u2[i] as number) * (x[i + 2] as number);
    x[i] = v / (u0[i] as number);
  }
}
