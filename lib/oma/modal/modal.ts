import type { ShapeVector } from './mac.js';

/**
 * Mode-shape quality indicators and normalisation.
 *
 * - MPC, Modal Phase Collinearity (Pappa, Elliott & Schenk 1993): 1 for a shape whose components
 *   all lie on one line in the complex plane (a real normal mode), → 0 for scattered phases.
 *   With S_xx = ReᵀRe, S_yy = ImᵀIm, S_xy = ReᵀIm: MPC = ((S_xx - S_yy)² + 4S_xy²)/(S_xx + S_yy)².
 * - MPD, Mean Phase Deviation (Reynders, Houbrechts & De Roeck 2012, "Fully automated (operational)
 *   modal analysis", MSSP 29): the |φ_k|-weighted mean angle (degrees) between each component and
 *   the best-fit straight line through the origin in the complex plane (the principal axis of the
 *   points (Re φ_k, Im φ_k)).
 * - Real normalisation: rotate by the angle that maximises Σ Re(e^{-iθ}φ)² (the same principal
 *   axis), keep the real part, scale to unit max-abs (largest component positive) or unit norm.
 */

/** Second moments of the shape's points in the complex plane. */
function moments(s: ShapeVector): { sxx: number; syy: number; sxy: number } {
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < s.re.length; k++) {
    const x = s.re[k] as number;
    const y = s.im === undefined ? 0 : (s.im[k] as number);
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  return { sxx, syy, sxy };
}

export function modalPhaseCollinearity(s: ShapeVector): number {
  const { sxx, syy, sxy } = moments(s);
  const total = sxx + syy;
  if (total === 0) return 0;
  return ((sxx - syy) ** 2 + 4 * sxy * sxy) / (total * total);
}

/** Angle of the principal axis of the points (Re φ_k, Im φ_k). */
function principalAngle(s: ShapeVector): number {
  const { sxx, syy, sxy } = moments(s);
  return 0.5 * Math.atan2(2 * sxy, sxx - syy);
}

/** Mean phase deviation in degrees (0 for a real mode, up to 90). */
export function meanPhaseDeviation(s: ShapeVector): number {
  const theta = principalAngle(s);
  const c = Math.cos(theta);
  const sn = Math.sin(theta);
  let num = 0;
  let den = 0;
  for (let k = 0; k < s.re.length; k++) {
    const x = s.re[k] as number;
    const y = s.im === undefined ? 0 : (s.im[k] as number);
    const mag = Math.hypot(x, y);
    if (mag === 0) continue;
    // Angle between the component and the line (direction ±(c, s)): |component along the normal|.
    const across = Math.abs(-sn * x + c * y);
    num += mag * Math.asin(Math.min(1, across / mag));
    den += mag;
  }
  return den === 0 ? 0 : (num / den) * (180 / Math.PI);
}

export type ShapeNormalisation = 'unit-max' | 'unit-norm';

/** Real-valued, normalised version of a (complex) shape. */
export function realShape(s: ShapeVector, normalisation: ShapeNormalisation = 'unit-max'): Float64Array {
  const theta = principalAngle(s);
  const c = Math.cos(theta);
  const sn = Math.sin(theta);
  const n = s.re.length;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const y = s.im === undefined ? 0 : (s.im[k] as number);
    out[k] = c * (s.re[k] as number) + sn * y;
  }
  normaliseInPlace(out, normalisation);
  return out;
}

/** Scales to unit max-abs (largest component +1) or unit Euclidean norm (largest component > 0). */
export function normaliseInPlace(x: Float64Array, normalisation: ShapeNormalisation): void {
  let big = 0;
  let norm = 0;
  for (const v of x) {
    if (Math.abs(v) > Math.abs(big)) big = v;
    norm += v * v;
  }
  if (big === 0) return;
  const scale = normalisation === 'unit-max' ? 1 / big : Math.sign(big) / Math.sqrt(norm);
  for (let k = 0; k < x.length; k++) x[k] = (x[k] as number) * scale;
}
