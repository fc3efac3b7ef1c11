import { ShapeProjection } from './modal-density.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * The SDOF bell of a spectral peak (Brincker, Ventura & Andersen 2001, "Damping estimation by
 * frequency domain decomposition", IMAC XIX) — the auto-spectrum of the peak's mode alone, which
 * EFDD takes back to the time domain and FDD measures for its half-power damping.
 *
 * The bell value at a line is the spectral density along the peak's shape φ within the kept
 * singular subspace, p_φ = Σ_i s_i |⟨u_i, φ⟩|² (modal-density.ts; Zhang, Wang & Tamura 2010): for
 * an isolated mode the classical "singular value whose vector matches the peak", and where two
 * close modes' singular values cross it follows the mode through the crossing instead of being
 * cut there. Walking out from the peak, the bell ends at the first of:
 *  1. φ leaves the kept subspace: Σ_i MAC(u_i, φ) < `macThreshold` (only with three or more
 *     channels — with one or two the kept vectors span every shape and the test is void);
 *  2. a valley: p_φ averaged over a sixth of the half-power bandwidth rises to twice its lowest
 *     value so far — another mode's bell is climbing (with a sensor subset two modes' shapes can
 *     be nearly parallel, MAC 0.98, so the shape test alone cannot see the boundary); the bell
 *     ends at that minimum;
 *  3. `halfWidth` half-power bandwidths from the peak (the bandwidth measured on the bell found by
 *     1–2). An SDOF bell holds 1 − (2/π)·atan(2k) of its energy beyond k bandwidths (6 % at
 *     k = 5); further out the bell is the noise floor and leakage from other modes, which only
 *     distort the correlation function (without this limit the bell of a 3 Hz mode with 1 %
 *     damping spanned 1–8.8 Hz, 60–130 bandwidths).
 */
export interface BellOptions {
  /** Largest distance from the peak, in half-power bandwidths. @default 5 */
  readonly halfWidth?: number;
}

export const DEFAULT_BELL_HALF_WIDTH = 5;
/** Bell boundary: least share of the peak's shape in the kept singular subspace (test 1 above). */
export const DEFAULT_BELL_MAC_THRESHOLD = 0.8;
const VALLEY_RISE = 2;

export interface SdofBell {
  /** The bell over all lines (zero outside [from, to]). */
  readonly values: Float64Array;
  readonly from: number;
  readonly to: number;
  /** Half-power bandwidth f₂ − f₁ of the bell, Hz (NaN when an edge is not reached). */
  readonly bandwidth: number;
}

export function sdofBell(
  spectrum: FddSpectrum,
  peak: SpectralPeak,
  macThreshold: number,
  options: BellOptions = {},
): SdofBell {
  const freqs = spectrum.frequencies;
  const lines = freqs.length;
  const df = lines > 1 ? (freqs[1] as number) - (freqs[0] as number) : 1;
  const values = new Float64Array(lines);
  const projection = new ShapeProjection(spectrum);
  if (peak.shape === undefined) projection.setReference(peak.shapeLine ?? peak.line, peak.singularValue - 1);
  else projection.setReferenceVector(peak.shape.re, peak.shape.im);
  // 1. The density along φ while φ stays in the kept subspace.
  const testSpan = spectrum.csd.channels > spectrum.vectorCount;
  values[peak.line] = projection.at(peak.line);
  let from = peak.line;
  let to = peak.line;
  for (let k = peak.line + 1; k < lines; k++, to++) {
    values[k] = projection.at(k);
    if (testSpan && projection.span < macThreshold) {
      values[k] = 0;
      break;
    }
  }
  for (let k = peak.line - 1; k >= 0; k--, from--) {
    values[k] = projection.at(k);
    if (testSpan && projection.span < macThreshold) {
      values[k] = 0;
      break;
    }
  }
  // 2. Valleys, on the density averaged over a sixth of the bandwidth (as the half-power
  // measurement does): a single Welch line scatters by ±20–50 %, far more than a valley test on
  // raw lines can tolerate, while a neighbour's bell rises over many lines.
  const first = halfPowerBandwidth(freqs, values, peak.line);
  const firstWidth = 2 * first.damping * first.centre;
  const h = Number.isFinite(firstWidth) ? Math.max(1, Math.round(firstWidth / df / 6)) : 1;
  const smooth = movingAverage(values, h);
  const valley = (direction: 1 | -1, end: number): number => {
    let low = Number.POSITIVE_INFINITY;
    let lowAt = peak.line;
    for (let k = peak.line; k !== end + direction; k += direction) {
      const v = smooth[k] as number;
      if (v < low) {
        low = v;
        lowAt = k;
      } else if (v > VALLEY_RISE * low) {
        return lowAt;
      }
    }
    return end;
  };
  const hi = valley(1, to);
  const lo = valley(-1, from);
  values.fill(0, from, lo);
  values.fill(0, hi + 1, to + 1);
  from = lo;
  to = hi;
  // 3. At most `halfWidth` bandwidths from the peak.
  const hp = halfPowerBandwidth(freqs, values, peak.line);
  const bandwidth = 2 * hp.damping * hp.centre;
  const halfWidth = options.halfWidth ?? DEFAULT_BELL_HALF_WIDTH;
  if (Number.isFinite(bandwidth) && bandwidth > 0 && Number.isFinite(halfWidth)) {
    const reach = Math.max(1, Math.round((halfWidth * bandwidth) / df));
    const a = Math.max(from, peak.line - reach);
    const b = Math.min(to, peak.line + reach);
    values.fill(0, from, a);
    values.fill(0, b + 1, to + 1);
    from = a;
    to = b;
  }
  return { values, from, to, bandwidth };
}

/**
 * Half-power bandwidth of a bell: damping ζ ≈ (f₂ - f₁)/(f₁ + f₂) (a rough FDD estimate; EFDD is
 * the better one) and the centre (f₁ + f₂)/2, the resonance of a symmetric bell — steadier than
 * the highest line when a wide bell spans many noisy lines. Long Welch segments resolve a bell into many noisy lines, so the bell is
 * smoothed by a moving average whose half-width follows the bandwidth found (a sixth of it,
 * three passes from ±1 line); an edge is where the average stays below half the peak for two
 * lines in a row.
 */
export function halfPowerBandwidth(
  frequencies: Float64Array,
  bell: Float64Array,
  peak: number,
): { damping: number; centre: number } {
  const n = bell.length;
  const df = n > 1 ? (frequencies[1] as number) - (frequencies[0] as number) : 1;
  const fp = frequencies[peak] as number;
  const none = { damping: Number.NaN, centre: Number.NaN };
  if (!(fp > 0)) return none;
  let halfWidth = 1;
  let result = none;
  for (let pass = 0; pass < 3; pass++) {
    const smooth = movingAverage(bell, halfWidth);
    const top = smooth[peak] as number;
    if (!(top > 0)) return none;
    const half = top / 2;
    const edge = (direction: 1 | -1): number => {
      for (let k = peak + direction; k + direction >= 0 && k + direction < n; k += direction) {
        if ((smooth[k] as number) < half && (smooth[k + direction] as number) < half) {
          const inner = k - direction;
          const yi = smooth[inner] as number;
          const t = (yi - half) / (yi - (smooth[k] as number));
          return (frequencies[inner] as number) + t * direction * df;
        }
      }
      return Number.NaN;
    };
    const upper = edge(1);
    const lower = edge(-1);
    const width = upper - lower;
    if (!Number.isFinite(width)) return result;
    const centre = 0.5 * (upper + lower);
    result = { damping: width / (2 * centre), centre };
    const next = Math.max(1, Math.round(width / df / 6));
    if (next === halfWidth) break;
    halfWidth = next;
  }
  return result;
}

function movingAverage(x: Float64Array, halfWidth: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let sum = 0;
  let count = 0;
  // Running sum over the window [k - h, k + h] clipped to the array.
  for (let k = 0; k < Math.min(n, halfWidth); k++) {
    sum += x[k] as number;
    count++;
  }
  for (let k = 0; k < n; k++) {
    const add = k + halfWidth;
    if (add < n) {
      sum += x[add] as number;
      count++;
    }
    const drop = k - halfWidth - 1;
    if (drop >= 0) {
      sum -= x[drop] as number;
      count--;
    }
    out[k] = sum / count;
  }
  return out;
}
