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
