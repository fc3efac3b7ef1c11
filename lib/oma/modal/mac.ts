/**
 * Modal Assurance Criterion (Allemang & Brown 1982; Allemang 2003, "The Modal Assurance
 * Criterion – twenty years of use and abuse"): MAC(a, b) = |aᴴ b|² / ((aᴴ a)(bᴴ b)), in [0, 1],
 * insensitive to scaling and (for complex vectors) to a common phase.
 */

/** A mode shape; `im` absent means real-valued. */
export interface ShapeVector {
  readonly re: Float64Array;
  readonly im?: Float64Array | undefined;
}

/** MAC between two (possibly complex) shapes of equal length; 0 if either is all zeros. */
export function mac(a: ShapeVector, b: ShapeVector): number {
  return macArrays(a.re, a.im, b.re, b.im);
}

/** MAC on raw arrays (im arrays may be undefined for real vectors); `offset`s index into them. */
export function macArrays(
  ar: Float64Array,
  ai: Float64Array | undefined,
  br: Float64Array,
  bi: Float64Array | undefined,
  n = ar.length,
  aOffset = 0,
  bOffset = 0,
): number {
  let dotRe = 0;
  let dotIm = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < n; k++) {
    const xr = ar[aOffset + k] as number;
    const xi = ai === undefined ? 0 : (ai[aOffset + k] as number);
    const yr = br[bOffset + k] as number;
    const yi = bi === undefined ? 0 : (bi[bOffset + k] as number);
    // conj(x)·y
    dotRe += xr * yr + xi * yi;
    dotIm += xr * yi - xi * yr;
    aa += xr * xr + xi * xi;
    bb += yr * yr + yi * yi;
  }
  if (aa === 0 || bb === 0) return 0;
  return Math.min(1, (dotRe * dotRe + dotIm * dotIm) / (aa * bb));
}

/** MAC matrix M[i][j] = MAC(a_i, b_j). */
export function macMatrix(a: readonly ShapeVector[], b: readonly ShapeVector[] = a): number[][] {
  return a.map((x) => b.map((y) => mac(x, y)));
}

/**
 * Fraction of the energy of u (offset `uAt`) that lies in the span of a and b (offsets `aAt`,
 * `bAt`), all complex vectors of length n in (re, im) arrays: ‖P u‖²/‖u‖² with the projector
 * P = W (WᴴW)⁻¹ Wᴴ, W = [a b], i.e. cᴴ G⁻¹ c / ‖u‖² with c = Wᴴu and the 2×2 Gram matrix G —
 * no orthonormalisation needed. If a and b are (nearly) parallel it is MAC(u, a).
 */
export function spanFraction(
  re: Float64Array,
  im: Float64Array,
  n: number,
  uAt: number,
  aAt: number,
  bAt: number,
): number {
  let uu = 0;
  let aa = 0;
  let bb = 0;
  let abr = 0; // aᴴb
  let abi = 0;
  let c1r = 0; // aᴴu
  let c1i = 0;
  let c2r = 0; // bᴴu
  let c2i = 0;
  for (let k = 0; k < n; k++) {
    const ur = re[uAt + k] as number;
    const ui = im[uAt + k] as number;
    const ar = re[aAt + k] as number;
    const ai = im[aAt + k] as number;
    const br = re[bAt + k] as number;
    const bi = im[bAt + k] as number;
    uu += ur * ur + ui * ui;
    aa += ar * ar + ai * ai;
    bb += br * br + bi * bi;
    abr += ar * br + ai * bi;
    abi += ar * bi - ai * br;
    c1r += ar * ur + ai * ui;
    c1i += ar * ui - ai * ur;
    c2r += br * ur + bi * ui;
    c2i += br * ui - bi * ur;
  }
  if (uu === 0 || aa === 0) return 0;
  const det = aa * bb - (abr * abr + abi * abi);
  if (!(det > 1e-12 * aa * bb)) return Math.min(1, (c1r * c1r + c1i * c1i) / (aa * uu));
  // cᴴ G⁻¹ c = (bb|c1|² − 2 Re(conj(c1)·(aᴴb)·c2) + aa|c2|²)/det
  const xr = abr * c2r - abi * c2i; // (aᴴb)·c2
  const xi = abr * c2i + abi * c2r;
  const cross = c1r * xr + c1i * xi; // Re(conj(c1)·x)
  const energy = (bb * (c1r * c1r + c1i * c1i) - 2 * cross + aa * (c2r * c2r + c2i * c2i)) / det;
  return Math.min(1, Math.max(0, energy / uu));
}
