import { macArrays, spanFraction } from '../modal/mac.js';
import type { FddSpectrum } from './types.js';

/**
 * Tools on spectra that the peak picker (peaks.ts, peak-finder.ts), the lowest-peak scan and the
 * harmonic scan share: smoothing, log scale, topographic prominence, roughness, shape coherence.
 */

/** The line of the largest raw value among k-1, k, k+1 (not touching the ends). */
export function rawTop(v: Float64Array, k: number): number {
  let best = k;
  for (let j = Math.max(1, k - 1); j <= Math.min(v.length - 2, k + 1); j++)
    if ((v[j] as number) > (v[best] as number)) best = j;
  return best;
}

/**
 * Topographic prominence of the maximum at k (scipy.signal.peak_prominences): on each side the
 * lowest point before the curve rises above y[k] (or ends); y[k] minus the higher of the two.
 */
export function topographicProminence(y: Float64Array, k: number): number {
  const yk = y[k] as number;
  let col = Number.NEGATIVE_INFINITY;
  for (const direction of [-1, 1] as const) {
    let low = yk;
    for (let j = k + direction; j >= 0 && j < y.length && (y[j] as number) <= yk; j += direction)
      low = Math.min(low, y[j] as number);
    col = Math.max(col, low);
  }
  return yk - col;
}

/** The lines where the hump at k falls to half its power on each side (those it reaches). */
export function flanks(y: Float64Array, k: number): number[] {
  const half = (y[k] as number) - Math.log10(2);
  const out: number[] = [];
  for (const direction of [-1, 1] as const) {
    for (let j = k + direction; j >= 1 && j <= y.length - 2; j += direction) {
      const v = y[j] as number;
      if (v > (y[k] as number)) break;
      if (v < half) {
        out.push(j - direction);
        break;
      }
    }
  }
  return out;
}

/** Three-line moving average (end lines keep their value). */
export function smooth3(v: Float64Array): Float64Array {
  const out = v.slice();
  for (let k = 1; k < v.length - 1; k++)
    out[k] = ((v[k - 1] as number) + (v[k] as number) + (v[k + 1] as number)) / 3;
  return out;
}

export function logSpectrum(v: Float64Array): Float64Array {
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  const floor = max > 0 ? max * 1e-30 : Number.MIN_VALUE;
  return v.map((x) => Math.log10(Math.max(x, floor)));
}

/** Robust roughness: median |y_k - (y_{k-1} + y_{k+1})/2| over the spectrum. */
export function roughness(y: Float64Array): number {
  const d = new Float64Array(Math.max(0, y.length - 2));
  for (let k = 1; k <= y.length - 2; k++)
    d[k - 1] = Math.abs((y[k] as number) - 0.5 * ((y[k - 1] as number) + (y[k + 1] as number)));
  if (d.length === 0) return 0;
  d.sort();
  return d[Math.floor(d.length / 2)] as number;
}

/** min over the two neighbours of the best MAC between vector s at k and any vector there. */
export function coherenceAt(spectrum: FddSpectrum, k: number, s: number): number {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const lines = spectrum.frequencies.length;
  const { vectorRe: re, vectorIm: im } = spectrum;
  const at = (k * vc + s) * l;
  // With three or more channels: the share of the vector in the span of the neighbour's two
  // leading vectors — two modes closer than a line make that plane degenerate, its vectors
  // rotating at random within it, yet the plane itself persists. With one or two channels the
  // span is everything, so the best single MAC is the (weak) test.
  const useSpan = l > vc && vc === 2;
  let worst = 1;
  for (let nb = k - COHERENCE_DISTANCE; nb <= k + COHERENCE_DISTANCE; nb += 2 * COHERENCE_DISTANCE) {
    if (nb < 0 || nb >= lines) continue;
    const first = nb * vc * l;
    let best = 0;
    if (useSpan) best = spanFraction(re, im, l, at, first, first + l);
    else for (let i = 0; i < vc; i++) best = Math.max(best, macArrays(re, im, re, im, l, at, first + i * l));
    worst = Math.min(worst, best);
  }
  return worst;
}
const COHERENCE_DISTANCE = 2;
