import { spectralMatrixAt } from '../signal/welch.js';
import type { FddSpectrum } from './types.js';

/**
 * The shapes of two modes whose bells overlap (a pair closer than its half-power bandwidth). The
 * singular vectors of G(f) are the pair's shapes only while one mode dominates; near the crossing
 * they rotate at random within the pair's plane, and a peak's vector is a mixture (measured on a
 * 3D tower with bending pairs 0.6 % apart: MAC 0.56–0.61 with the true shapes). Within the plane
 * U (the two leading singular vectors between the peaks), the projected 2×2 spectral matrices are
 * G_U(f) = Ψ diag(P_a(f), P_b(f)) Ψᴴ, Ψ the shapes' coordinates in U — whatever the shapes' angle.
 * Two lines where the modes' powers differ, f₁ on a's outer flank and f₂ on b's, give the
 * generalized eigenproblem G_U(f₂) x = λ G_U(f₁) x, whose eigenvectors are x_i ∝ Ψ⁻ᴴe_i and
 * eigenvalues λ_i = P_i(f₂)/P_i(f₁); then G_U(f₁) x_i ∝ ψ_i, the shape (AMUSE, Tong, Soon, Huang &
 * Liu 1991; the two-matrix case of SOBI's joint diagonalization, Belouchrani et al. 1997, used for
 * OMA by Poncelet, Kerschen, Golinval & Verhelst 2007). Each flank matrix averages three lines.
 * Returns the two shapes (complex, over all channels), or undefined when the pencil does not
 * separate them (λ_b/λ_a < 2: the flanks are not dominated by different modes).
 */
export interface PairShapes {
  readonly a: { re: Float64Array; im: Float64Array };
  readonly b: { re: Float64Array; im: Float64Array };
}

const MIN_RATIO = 2;

export function pairShapes(
  spectrum: FddSpectrum,
  aLine: number,
  bLine: number,
  lowFlank: number,
  highFlank: number,
): PairShapes | undefined {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const lines = spectrum.frequencies.length;
  if (vc < 2 || l < 2) return undefined;
  const mid = Math.round((aLine + bLine) / 2);
  // Basis U: the two leading singular vectors at the midpoint (the pair's plane).
  const ur = spectrum.vectorRe.subarray(mid * vc * l, (mid * vc + 2) * l);
  const ui = spectrum.vectorIm.subarray(mid * vc * l, (mid * vc + 2) * l);
  const ar = new Float64Array(l * l);
  const ai = new Float64Array(l * l);
  const project = (center: number): Float64Array => {
    // [g11, g22, Re g12, Im g12] of Uᴴ G U averaged over center−1..center+1
    const g = new Float64Array(4);
    for (let k = Math.max(1, center - 1); k <= Math.min(lines - 2, center + 1); k++) {
      spectralMatrixAt(spectrum.csd, k, ar, ai);
      const h = quadratic(ar, ai, ur, ui, l);
      for (let i = 0; i < 4; i++) g[i] = (g[i] as number) + (h[i] as number);
    }
    return g;
  };
  const g1 = project(lowFlank);
  const g2 = project(highFlank);
  // G1⁻¹G2 for 2×2 Hermitian matrices [[p, q], [q̄, r]].
  const det1 = (g1[0] as number) * (g1[1] as number) - ((g1[2] as number) ** 2 + (g1[3] as number) ** 2);
  if (!(det1 > 0)) return undefined;
  const m = mul(inverse(g1, det1), hermitian(g2));
  const eig = eigen2(m);
  if (eig === undefined) return undefined;
  const [low, high] = eig.values[0] <= eig.values[1] ? [0, 1] : [1, 0];
  const lambdaLow = eig.values[low] as number;
  const lambdaHigh = eig.values[high] as number;
  if (!(lambdaLow > 0) || lambdaHigh / lambdaLow < MIN_RATIO) return undefined;
  const shape = (i: number): { re: Float64Array; im: Float64Array } => {
    // ψ = G1 x (2-vector), then φ = U ψ
    const x = eig.vectors[i] as [number, number, number, number];
    const h1 = hermitian(g1);
    const pr =
      (h1[0] as number) * x[0] -
      (h1[1] as number) * x[1] +
      (h1[2] as number) * x[2] -
      (h1[3] as number) * x[3];
    const pi =
      (h1[0] as number) * x[1] +
      (h1[1] as number) * x[0] +
      (h1[2] as number) * x[3] +
      (h1[3] as number) * x[2];
    const qr =
      (h1[4] as number) * x[0] -
      (h1[5] as number) * x[1] +
      (h1[6] as number) * x[2] -
      (h1[7] as number) * x[3];
    const qi =
      (h1[4] as number) * x[1] +
      (h1[5] as number) * x[0] +
      (h1[6] as number) * x[3] +
      (h1[7] as number) * x[2];
    const re = new Float64Array(l);
    const im = new Float64Array(l);
    for (let c = 0; c < l; c++) {
      re[c] =
        (ur[c] as number) * pr -
        (ui[c] as number) * pi +
        (ur[l + c] as number) * qr -
        (ui[l + c] as number) * qi;
      im[c] =
        (ur[c] as number) * pi +
        (ui[c] as number) * pr +
        (ur[l + c] as number) * qi +
        (ui[l + c] as number) * qr;
    }
    return { re, im };
  };
  // The mode that dominates the low flank (λ = P(f₂)/P(f₁) small) is the lower one.
  return { a: shape(low), b: shape(high) };
}

/** [Uᴴ G U]: g11, g22 (real), Re g12, Im g12, for U = [u1, u2] (complex, length l each). */
function quadratic(
  ar: Float64Array,
  ai: Float64Array,
  ur: Float64Array,
  ui: Float64Array,
  l: number,
): number[] {
  // w_j = G u_j
  const w = [new Float64Array(2 * l), new Float64Array(2 * l)];
  for (let j = 0; j < 2; j++) {
    const out = w[j] as Float64Array;
    for (let r = 0; r < l; r++) {
      let sr = 0;
      let si = 0;
      for (let c = 0; c < l; c++) {
        const gr = ar[r * l + c] as number;
        const gi = ai[r * l + c] as number;
        const xr = ur[j * l + c] as number;
        const xi = ui[j * l + c] as number;
        sr += gr * xr - gi * xi;
        si += gr * xi + gi * xr;
      }
      out[r] = sr;
      out[l + r] = si;
    }
  }
  // u_iᴴ w_j
  const dot = (i: number, j: number): [number, number] => {
    const x = w[j] as Float64Array;
    let sr = 0;
    let si = 0;
    for (let r = 0; r < l; r++) {
      const vr = ur[i * l + r] as number;
      const vi = ui[i * l + r] as number;
      sr += vr * (x[r] as number) + vi * (x[l + r] as number);
      si += vr * (x[l + r] as number) - vi * (x[r] as number);
    }
    return [sr, si];
  };
  const [g11] = dot(0, 0);
  const [g22] = dot(1, 1);
  const [g12r, g12i] = dot(0, 1);
  return [g11, g22, g12r, g12i];
}

/** The 2×2 complex matrix [[a, b], [c, d]] as [ar, ai, br, bi, cr, ci, dr, di] of [[p, q], [q̄, r]]. */
function hermitian(g: Float64Array): number[] {
  return [
    g[0] as number,
    0,
    g[2] as number,
    g[3] as number,
    g[2] as number,
    -(g[3] as number),
    g[1] as number,
    0,
  ];
}

function inverse(g: Float64Array, det: number): number[] {
  // [[r, −q], [−q̄, p]] / det
  return [
    (g[1] as number) / det,
    0,
    -(g[2] as number) / det,
    -(g[3] as number) / det,
    -(g[2] as number) / det,
    (g[3] as number) / det,
    (g[0] as number) / det,
    0,
  ];
}

function mul(x: number[], y: number[]): number[] {
  const c = (i: number, j: number, m: number[]): [number, number] => [
    m[2 * (2 * i + j)] as number,
    m[2 * (2 * i + j) + 1] as number,
  ];
  const out: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < 2; k++) {
        const [a, b] = c(i, k, x);
        const [p, q] = c(k, j, y);
        sr += a * p - b * q;
        si += a * q + b * p;
      }
      out.push(sr, si);
    }
  }
  return out;
}

/**
 * Eigenvalues (real parts; those of a Hermitian-definite pencil are real) and eigenvectors
 * [xr0, xi0, xr1, xi1] of a 2×2 complex matrix.
 */
function eigen2(m: number[]): { values: [number, number]; vectors: number[][] } | undefined {
  const [ar, ai, br, bi, cr, ci, dr, di] = m as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // λ = (tr ± √(tr² − 4 det))/2
  const tr = ar + dr;
  const ti = ai + di;
  const detR = ar * dr - ai * di - (br * cr - bi * ci);
  const detI = ar * di + ai * dr - (br * ci + bi * cr);
  const discR = tr * tr - ti * ti - 4 * detR;
  const discI = 2 * tr * ti - 4 * detI;
  const mod = Math.hypot(discR, discI);
  const sr = Math.sqrt(Math.max(0, (mod + discR) / 2));
  const si = Math.sign(discI || 1) * Math.sqrt(Math.max(0, (mod - discR) / 2));
  const values: [number, number] = [(tr - sr) / 2, (tr + sr) / 2];
  const valuesI = [(ti - si) / 2, (ti + si) / 2];
  const vectors: number[][] = [];
  for (let i = 0; i < 2; i++) {
    const lr = values[i] as number;
    const li = valuesI[i] as number;
    // (A − λI)x = 0: x = [b, λ − a] or [λ − d, c], whichever is larger (the other can vanish
    // to rounding when the matrix is nearly diagonal).
    const first = [br, bi, lr - ar, li - ai];
    const second = [lr - dr, li - di, cr, ci];
    const x = Math.hypot(...first) >= Math.hypot(...second) ? first : second;
    if (!(Math.hypot(...x) > 1e-300)) return undefined;
    vectors.push(x);
  }
  return { values, vectors };
}
