import { InvalidParamError } from '../core/errors.js';
import type { FddSpectrum } from './fdd.js';
import { macArrays } from './mac.js';

/**
 * Automatic peak picking on the singular-value spectrum of FDD.
 *
 * A line k is a modal peak of singular value s when
 *  1. it is a local maximum of log10 S̄_s inside one of the frequency bands, where S̄ is S averaged
 *     over three adjacent lines: Welch estimates scatter as χ²/ν with a long lower tail, and
 *     single-line dips on a bell's flank would otherwise make ripples look like peaks;
 *  2. its prominence in log10 S̄_s reaches the threshold — by default max(0.5 decades, 6× the
 *     spectrum's robust line-to-line roughness), so it adapts to the Welch variance. On each side
 *     the descent is the drop from the peak to the lowest point before the curve rises above the
 *     peak again (the key col of topographic prominence, as in scipy.signal.peak_prominences).
 *     The higher ground is then climbed to its top and its singular vector compared with the
 *     peak's: if it is the same shape (MAC ≥ 0.8) the peak is a ripple on that larger bell and
 *     the side's descent limits the prominence; if it is another mode, that side is ignored
 *     (unless both are), and its descent only counts up to where the singular vector stopped
 *     matching the peak's. Two modes a few lines apart thus both count as peaks even when the
 *     dip between them is shallow, which plain topographic prominence misses;
 *  3. its singular vector is coherent: MAC with the best-matching leading vector at both
 *     neighbouring lines ≥ `coherence` (default 0.8; a mode's shape persists across its bell, noise does not —
 *     the "modal coherence" indicator of Brincker, Zhang & Andersen 2001).
 * Closely spaced modes: peaks of the second singular value that pass the same tests are added
 * unless they duplicate an accepted peak (within `minSeparationLines`, or MAC ≥ 0.8 to an
 * accepted peak's shape within ±20 % in frequency) or their vector lies in the span of the shapes of the nearest accepted
 * peaks below and above (≥ 0.8 of its energy) — the SV2 hump where two bells cross is such a
 * mixture. What remains is a weaker mode hidden under a stronger neighbour's SV1 bell
 * (Brincker et al. 2001).
 * The frequency is refined by a least-squares parabola through log S_s over the peak's top.
 */
export interface PeakOptions {
  /** Frequency bands [fmin, fmax] in Hz to search; default: the whole spectrum above DC. */
  readonly bands?: readonly (readonly [number, number])[];
  /** Minimum prominence in decades of log10 S. @default adaptive, ≥ 0.5 */
  readonly minProminence?: number;
  /** Minimum MAC between the peak's vector and its neighbours'. @default 0.9 */
  readonly coherence?: number;
  /** Search the second singular value for closely spaced modes. @default true */
  readonly closeModes?: boolean;
  /** Keep at most this many peaks (the most prominent). @default unlimited */
  readonly maxModes?: number;
  /** Peaks closer than this many lines are the same peak. @default 2 */
  readonly minSeparationLines?: number;
}

export interface SpectralPeak {
  readonly line: number;
  /** Interpolated peak frequency, Hz. */
  readonly frequency: number;
  /** 1 or 2. */
  readonly singularValue: number;
  /** Prominence in decades. */
  readonly prominence: number;
  /** MAC coherence with the neighbouring lines. */
  readonly coherence: number;
}

const DUPLICATE_MAC = 0.8;

export function pickPeaks(spectrum: FddSpectrum, options: PeakOptions = {}): SpectralPeak[] {
  const freqs = spectrum.frequencies;
  const lines = freqs.length;
  // Peaks are searched over the whole spectrum so that a peak near a band edge is judged with its
  // neighbours (prominence, SV2 mixtures); only those inside the bands are returned.
  const ranges: [number, number][] = [[1, lines - 2]];
  const bands = bandRanges(freqs, options.bands);
  const coherenceMin = options.coherence ?? 0.8;
  const separation = options.minSeparationLines ?? 2;
  const accepted: SpectralPeak[] = [];
  const svCount = options.closeModes === false ? 1 : Math.min(2, spectrum.vectorCount);
  for (let s = 1; s <= svCount; s++) {
    const raw = spectrum.values[s - 1] as Float64Array;
    const y = logSpectrum(smooth3(raw));
    const yRaw = logSpectrum(raw);
    const threshold = options.minProminence ?? Math.max(0.5, 6 * roughness(y, ranges));
    for (const [lo, hi] of ranges) {
      for (let k = Math.max(lo, 1); k <= Math.min(hi, lines - 2); k++) {
        const yk = y[k] as number;
        if (!(yk > (y[k - 1] as number) && yk >= (y[k + 1] as number))) continue;
        const prominence = bellProminence(spectrum, y, k, s - 1, lo, hi);
        if (prominence < threshold) continue;
        const coherence = coherenceAt(spectrum, k, s - 1);
        if (coherence < coherenceMin) continue;
        const top = rawMaximumNear(yRaw, k);
        const peak: SpectralPeak = {
          line: top,
          frequency: interpolate(freqs, yRaw, top),
          singularValue: s,
          prominence,
          coherence,
        };
        if (
          s > 1 &&
          (isDuplicate(spectrum, peak, accepted, separation) || isMixture(spectrum, peak, accepted))
        ) {
          continue;
        }
        if (s === 1 && accepted.some((a) => Math.abs(a.line - k) < separation)) continue;
        accepted.push(peak);
      }
    }
  }
  let result = accepted.filter((p) => bands.some(([lo, hi]) => p.line >= lo && p.line <= hi));
  if (options.maxModes !== undefined && result.length > options.maxModes) {
    result = [...result].sort((a, b) => b.prominence - a.prominence).slice(0, options.maxModes);
  }
  return result.sort((a, b) => a.frequency - b.frequency);
}

/** Line index ranges [lo, hi] (inclusive) covered by the bands. */
export function bandRanges(
  freqs: Float64Array,
  bands: readonly (readonly [number, number])[] | undefined,
): [number, number][] {
  const lines = freqs.length;
  if (bands === undefined || bands.length === 0) return [[1, lines - 1]];
  const df = lines > 1 ? (freqs[1] as number) - (freqs[0] as number) : 1;
  return bands.map(([fmin, fmax]) => {
    if (!(fmin >= 0 && fmax > fmin)) {
      throw new InvalidParamError('bands', `frequency band [${fmin}, ${fmax}] must satisfy 0 ≤ fmin < fmax`);
    }
    const lo = Math.max(0, Math.ceil(fmin / df));
    const hi = Math.min(lines - 1, Math.floor(fmax / df));
    return [lo, hi] as [number, number];
  });
}

/** Three-line moving average (end lines keep their value). */
function smooth3(v: Float64Array): Float64Array {
  const out = v.slice();
  for (let k = 1; k < v.length - 1; k++)
    out[k] = ((v[k - 1] as number) + (v[k] as number) + (v[k + 1] as number)) / 3;
  return out;
}

/** The line of the largest raw value among k-1, k, k+1 (not touching the ends). */
function rawMaximumNear(y: Float64Array, k: number): number {
  let best = k;
  for (const j of [k - 1, k + 1]) {
    if (j >= 1 && j <= y.length - 2 && (y[j] as number) > (y[best] as number)) best = j;
  }
  return best;
}

function logSpectrum(v: Float64Array): Float64Array {
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  const floor = max > 0 ? max * 1e-30 : Number.MIN_VALUE;
  return v.map((x) => Math.log10(Math.max(x, floor)));
}

/** Robust roughness: median |y_k - (y_{k-1} + y_{k+1})/2| over the searched lines. */
function roughness(y: Float64Array, ranges: [number, number][]): number {
  const d: number[] = [];
  for (const [lo, hi] of ranges) {
    for (let k = Math.max(lo, 1); k <= Math.min(hi, y.length - 2); k++) {
      d.push(Math.abs((y[k] as number) - 0.5 * ((y[k - 1] as number) + (y[k + 1] as number))));
    }
  }
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)] as number;
}

const SAME_SHAPE_MAC = 0.8;

/**
 * Prominence of the maximum at k of singular value s along its own bell (see the file comment).
 * Each side is walked until the curve rises above the peak again (or the spectrum ends). A shape
 * change on the way is two consecutive lines whose vector has MAC < 0.8 with the peak's. The
 * higher ground found is climbed to its top and its vector compared with the peak's: the same
 * shape means the peak is a ripple on that bell (the side's full descent counts); another shape
 * means the side belongs to another mode (the side is ignored unless both are; its descent is
 * then measured only up to the first shape change, so noise between two modes stays low).
 */
function bellProminence(
  spectrum: FddSpectrum,
  y: Float64Array,
  k: number,
  s: number,
  lo: number,
  hi: number,
): number {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const { vectorRe: re, vectorIm: im } = spectrum;
  const at = (k * vc + s) * l;
  const yk = y[k] as number;
  const sameAs = (j: number): boolean => macArrays(re, im, re, im, l, at, (j * vc + s) * l) >= SAME_SHAPE_MAC;
  // The top of the higher ground against the peak's vector or its neighbours' (a ripple on a weak
  // flank has a noisy vector of its own).
  const sameTop = (top: number): boolean => {
    for (let i = Math.max(lo, k - 1); i <= Math.min(hi, k + 1); i++) {
      if (macArrays(re, im, re, im, l, (i * vc + s) * l, (top * vc + s) * l) >= SAME_SHAPE_MAC) return true;
    }
    return false;
  };
  const side = (direction: 1 | -1): { descent: number; otherMode: boolean } => {
    let low = yk;
    let lowBeforeChange = yk;
    let strikes = 0;
    let changed = false;
    let j = k + direction;
    for (; j >= lo && j <= hi && (y[j] as number) <= yk; j += direction) {
      const v = y[j] as number;
      low = Math.min(low, v);
      if (!changed) {
        strikes = sameAs(j) ? 0 : strikes + 1;
        if (strikes >= 2) changed = true;
        else lowBeforeChange = Math.min(lowBeforeChange, v);
      }
    }
    if (j < lo || j > hi)
      return changed
        ? { descent: yk - lowBeforeChange, otherMode: true }
        : { descent: yk - low, otherMode: false };
    while (j + direction >= lo && j + direction <= hi && (y[j + direction] as number) >= (y[j] as number))
      j += direction;
    if (sameTop(j)) return { descent: yk - low, otherMode: false };
    return { descent: yk - (changed ? lowBeforeChange : low), otherMode: true };
  };
  const left = side(-1);
  const right = side(1);
  if (left.otherMode && right.otherMode) return Math.max(left.descent, right.descent);
  if (left.otherMode) return right.descent;
  if (right.otherMode) return left.descent;
  return Math.min(left.descent, right.descent);
}

/** min over the two neighbours of the best MAC between vector s at k and any vector there. */
function coherenceAt(spectrum: FddSpectrum, k: number, s: number): number {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const { vectorRe: re, vectorIm: im } = spectrum;
  const at = (k * vc + s) * l;
  let worst = 1;
  for (const nb of [k - 1, k + 1]) {
    let best = 0;
    for (let i = 0; i < vc; i++) {
      best = Math.max(best, macArrays(re, im, re, im, l, at, (nb * vc + i) * l));
    }
    worst = Math.min(worst, best);
  }
  return worst;
}

function isDuplicate(
  spectrum: FddSpectrum,
  peak: SpectralPeak,
  accepted: readonly SpectralPeak[],
  separation: number,
): boolean {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const { vectorRe: re, vectorIm: im } = spectrum;
  const at = (peak.line * vc + peak.singularValue - 1) * l;
  return accepted.some((a) => {
    if (Math.abs(a.line - peak.line) < separation) return true;
    if (Math.abs(a.frequency - peak.frequency) > 0.2 * a.frequency) return false;
    const other = (a.line * vc + a.singularValue - 1) * l;
    return macArrays(re, im, re, im, l, at, other) >= DUPLICATE_MAC;
  });
}

/**
 * Whether the vector of an SV2 peak is mostly (≥ 0.8 of its energy) in the span of the shapes of
 * the nearest accepted peaks below and above it: the hump where two modes' bells cross.
 */
function isMixture(spectrum: FddSpectrum, peak: SpectralPeak, accepted: readonly SpectralPeak[]): boolean {
  let below: SpectralPeak | undefined;
  let above: SpectralPeak | undefined;
  for (const a of accepted) {
    if (a.frequency <= peak.frequency && (below === undefined || a.frequency > below.frequency)) below = a;
    if (a.frequency > peak.frequency && (above === undefined || a.frequency < above.frequency)) above = a;
  }
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const { vectorRe: re, vectorIm: im } = spectrum;
  const at = (peak.line * vc + peak.singularValue - 1) * l;
  // Orthonormal basis of the neighbours' shapes (complex Gram–Schmidt), then ‖P u‖².
  const basis: { r: Float64Array; i: Float64Array }[] = [];
  for (const n of [below, above]) {
    if (n === undefined) continue;
    const o = (n.line * vc + n.singularValue - 1) * l;
    const r = re.slice(o, o + l);
    const i = im.slice(o, o + l);
    for (const b of basis) {
      let dr = 0;
      let di = 0;
      for (let c = 0; c < l; c++) {
        dr += (b.r[c] as number) * (r[c] as number) + (b.i[c] as number) * (i[c] as number);
        di += (b.r[c] as number) * (i[c] as number) - (b.i[c] as number) * (r[c] as number);
      }
      for (let c = 0; c < l; c++) {
        const br = b.r[c] as number;
        const bi = b.i[c] as number;
        r[c] = (r[c] as number) - (dr * br - di * bi);
        i[c] = (i[c] as number) - (dr * bi + di * br);
      }
    }
    let nn = 0;
    for (let c = 0; c < l; c++) nn += (r[c] as number) ** 2 + (i[c] as number) ** 2;
    if (nn < 1e-12) continue;
    const inv = 1 / Math.sqrt(nn);
    basis.push({ r: r.map((v) => v * inv), i: i.map((v) => v * inv) });
  }
  let inSpan = 0;
  let total = 0;
  for (let c = 0; c < l; c++) total += (re[at + c] as number) ** 2 + (im[at + c] as number) ** 2;
  for (const b of basis) {
    let dr = 0;
    let di = 0;
    for (let c = 0; c < l; c++) {
      dr += (b.r[c] as number) * (re[at + c] as number) + (b.i[c] as number) * (im[at + c] as number);
      di += (b.r[c] as number) * (im[at + c] as number) - (b.i[c] as number) * (re[at + c] as number);
    }
    inSpan += dr * dr + di * di;
  }
  return total > 0 && inSpan / total >= 0.8;
}

/**
 * Peak frequency: vertex of the least-squares parabola through log S over the top of the peak —
 * the lines around k within half of its power (at least k±1, at most k±8). Fitting the whole
 * half-power top instead of three lines averages out the Welch scatter of single lines.
 */
function interpolate(freqs: Float64Array, y: Float64Array, k: number): number {
  const halfPower = (y[k] as number) - Math.log10(2);
  let lo = k - 1;
  let hi = k + 1;
  while (lo > 1 && k - lo < 8 && (y[lo - 1] as number) >= halfPower) lo--;
  while (hi < y.length - 2 && hi - k < 8 && (y[hi + 1] as number) >= halfPower) hi++;
  // Normal equations of y ≈ a + b·x + c·x² with x = line - k.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  for (let j = lo; j <= hi; j++) {
    const x = j - k;
    const v = y[j] as number;
    s0 += 1;
    s1 += x;
    s2 += x * x;
    s3 += x * x * x;
    s4 += x * x * x * x;
    t0 += v;
    t1 += x * v;
    t2 += x * x * v;
  }
  const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
  const df = (freqs[1] as number) - (freqs[0] as number);
  if (det === 0) return freqs[k] as number;
  const b = (s0 * (t1 * s4 - s3 * t2) - t0 * (s1 * s4 - s3 * s2) + s2 * (s1 * t2 - t1 * s2)) / det;
  const c = (s0 * (s2 * t2 - t1 * s3) - s1 * (s1 * t2 - t1 * s2) + t0 * (s1 * s3 - s2 * s2)) / det;
  if (!(c < 0)) return freqs[k] as number;
  const delta = Math.max(lo - k, Math.min(hi - k, -b / (2 * c)));
  return (freqs[k] as number) + delta * df;
}
