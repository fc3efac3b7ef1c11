/**
 * Orthonormalisation of a panel of vectors by classical Gram–Schmidt with one full
 * re-orthogonalisation ("CGS2", Giraud, Langou, Rozložník & van den Eshof 2005: twice is enough
 * for orthogonality at machine precision). Equivalent to a thin QR factorisation X = Q R that keeps
 * the column order — which the SSI shift-structure solve relies on (the QR of the first n columns
 * of X is the first n columns of Q and the leading n×n block of R).
 *
 * Panel layout: k vectors of length m stored one after another (`x[j*m + i]` is entry i of
 * vector j), i.e. a column-major m×k matrix.
 */

/**
 * Orthonormalises the k vectors of `x` in place. If `r` (k×k, row-major) is given it receives the
 * upper-triangular factor with X_before = Q R. A vector that is (numerically) in the span of the
 * previous ones becomes zero and its diagonal entry of R is 0. Returns the numerical rank.
 */
export function orthonormalize(x: Float64Array, m: number, k: number, r?: Float64Array): number {
  if (r !== undefined) r.fill(0, 0, k * k);
  let rank = 0;
  for (let j = 0; j < k; j++) {
    const vj = j * m;
    let original = 0;
    for (let i = 0; i < m; i++) original += (x[vj + i] as number) ** 2;
    original = Math.sqrt(original);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const vp = p * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += (x[vp + i] as number) * (x[vj + i] as number);
        if (dot === 0) continue;
        for (let i = 0; i < m; i++) x[vj + i] = (x[vj + i] as number) - dot * (x[vp + i] as number);
        if (r !== undefined) r[p * k + j] = (r[p * k + j] as number) + dot;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += (x[vj + i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm <= 1e3 * Number.EPSILON * Math.max(original, Number.MIN_VALUE) * Math.sqrt(m) || norm === 0) {
      x.fill(0, vj, vj + m);
      continue;
    }
    const inv = 1 / norm;
    for (let i = 0; i < m; i++) x[vj + i] = (x[vj + i] as number) * inv;
    if (r !== undefined) r[j * k + j] = norm;
    rank++;
  }
  return rank;
}
