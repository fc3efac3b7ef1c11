/**
 * Singular value decomposition of a small dense matrix by one-sided Jacobi rotations (Hestenes
 * 1958; Demmel & Veselić 1992, "Jacobi's method is more accurate than QR"): columns are rotated
 * pairwise until mutually orthogonal; then A V = U Σ with σ_j the column norms. Accurate to high
 * relative precision for small singular values, which the squared-Gram approach is not.
 *
 * Layout: A is a column-major m×n panel (`a[j*m + i]`), m ≥ n not required. On return `a` holds
 * U·Σ's columns normalised to U (zero columns for σ = 0), `sigma` the singular values and `v`
 * (column-major n×n) the right singular vectors, all sorted by descending σ.
 */

const MAX_SWEEPS = 60;

export function jacobiSvd(
  a: Float64Array,
  m: number,
  n: number,
  sigma: Float64Array,
  v: Float64Array,
): boolean {
  v.fill(0, 0, n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const tol = Number.EPSILON * m;
  let converged = false;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      const ap = p * m;
      for (let q = p + 1; q < n; q++) {
        const aq = q * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = a[ap + i] as number;
          const y = a[aq + i] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        converged = false;
        // Rotation that zeroes the (p,q) entry of the 2×2 Gram matrix [[α, γ], [γ, β]].
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = a[ap + i] as number;
          const y = a[aq + i] as number;
          a[ap + i] = c * x - s * y;
          a[aq + i] = s * x + c * y;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = v[vp + i] as number;
          const y = v[vq + i] as number;
          v[vp + i] = c * x - s * y;
          v[vq + i] = s * x + c * y;
        }
      }
    }
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += (a[j * m + i] as number) ** 2;
    sigma[j] = Math.sqrt(s);
  }
  sortDescending(a, m, n, sigma, v);
  for (let j = 0; j < n; j++) {
    const s = sigma[j] as number;
    if (s === 0) continue;
    for (let i = 0; i < m; i++) a[j * m + i] = (a[j * m + i] as number) / s;
  }
  return converged;
}

/** Selection sort of columns by σ (n is small; each swap moves whole columns). */
function sortDescending(a: Float64Array, m: number, n: number, sigma: Float64Array, v: Float64Array): void {
  for (let j = 0; j < n - 1; j++) {
    let best = j;
    for (let k = j + 1; k < n; k++) if ((sigma[k] as number) > (sigma[best] as number)) best = k;
    if (best === j) continue;
    const s = sigma[j] as number;
    sigma[j] = sigma[best] as number;
    sigma[best] = s;
    swapBlocks(a, j * m, best * m, m);
    swapBlocks(v, j * n, best * n, n);
  }
}

function swapBlocks(x: Float64Array, i: number, j: number, len: number): void {
  for (let k = 0; k < len; k++) {
    const t = x[i + k] as number;
    x[i + k] = x[j + k] as number;
    x[j + k] = t;
  }
}
