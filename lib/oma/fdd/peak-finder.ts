import { macArrays } from '../modal/mac.js';
import { ShapeProjection } from './modal-density.js';
import { WelchScatter } from './scatter.js';
import { coherenceAt, logSpectrum, smooth3, topographicProminence } from './spectrum-tools.js';
import type { FddSpectrum } from './types.js';

/**
 * The machinery of FDD peak picking (peaks.ts): a candidate peak is judged on the spectral density
 * along its own shape (modal-density.ts), and a mode hidden in another's bell is found on the
 * density left once that mode's shape is projected out.
 */

/**
 * A mode's shape is one of the leading singular vectors (or in their span) across its bell's
 * top; where it is not, the density along it (two kept vectors) dips artificially.
 */
export const SPAN_MIN = 0.8;
/** Deflated density over SV1 above which a second mode shares a bell (see `hidden`). */
const SHARED_BELL_RATIO = 0.2;

/** A peak candidate (mutable while peaks.ts sorts them out). */
export interface Candidate {
  line: number;
  /** Where the shape comes from: singular vector `vector` at line `shapeLine`. */
  shapeLine: number;
  vector: number;
  frequency: number;
  /** Topographic prominence of the singular-value peak the candidate came from. */
  prominence: number;
  /** Prominence of the peak of the density along the candidate's shape (three-line average). */
  densityProminence: number;
  /**
   * That prominence measured on the density averaged over half the bell's half-power width, in
   * standard deviations of the difference of two such averages (scatter.ts): a broad weak bell
   * stands out of the Welch scatter at its own scale, a bump of noise does not.
   */
  significance: number;
  coherence: number;
  density: number;
  /** Least share of the shape in the kept singular subspace over the half-power top. */
  span: number;
  /** The half-power top of the density along the shape, lines [from, to]. */
  from: number;
  to: number;
  merged: boolean;
  /**
   * A second shape sharing this accepted candidate's bell (`hidden`: the deflated density holds
   * ≥ 0.2 of SV1): a pair to resolve, or else to flag as merged.
   */
  partnerOf?: Candidate;
  /** …and at the partner's own line (closer than the resolution). */
  sameLine?: boolean;
  /** For a merged peak: the frequency of the second shape's density peak, Hz. */
  mergedFrequency?: number;
}

/**
 * Climbs, measures and locates a candidate's peak on the density along its shape. The density
 * is cached per candidate (a stamp marks the lines computed for the current one), so a walk
 * allocates nothing.
 */
export class ModalPeakFinder {
  private readonly projection: ShapeProjection;
  private readonly cache: Float64Array;
  private readonly spanCache: Float64Array;
  private readonly stamp: Int32Array;
  private id = 0;
  private readonly floor: number;
  private readonly lines: number;
  private readonly l: number;
  private readonly vc: number;
  /** The deflated shape of `hidden`. */
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;
  readonly scatter: WelchScatter;

  constructor(private readonly spectrum: FddSpectrum) {
    this.scatter = new WelchScatter(spectrum.csd);
    this.projection = new ShapeProjection(spectrum);
    this.lines = spectrum.frequencies.length;
    this.l = spectrum.csd.channels;
    this.vc = spectrum.vectorCount;
    this.wRe = new Float64Array(this.l);
    this.wIm = new Float64Array(this.l);
    this.cache = new Float64Array(this.lines);
    this.spanCache = new Float64Array(this.lines);
    this.stamp = new Int32Array(this.lines);
    let max = 0;
    for (const v of spectrum.values[0] as Float64Array) max = Math.max(max, v);
    this.floor = max > 0 ? max * 1e-30 : Number.MIN_VALUE;
  }

  /** The peak of the density along singular vector s at line `start`. */
  examine(start: number, s: number, prominence: number): Candidate {
    this.id++;
    this.projection.setReference(start, s);
    const c = this.climb(start, prominence);
    // The shape is the one examined, wherever its density peaks.
    return { ...c, shapeLine: start, vector: s, coherence: coherenceAt(this.spectrum, start, s) };
  }

  /** Climb, measure and locate the peak of the density along the current reference shape. */
  private climb(start: number, prominence: number): Candidate {
    // 1. Climb the smoothed density to the top of its bell: the highest point of the contiguous
    // region above half the current value, repeated until it stays put. Welch scatter leaves
    // local maxima on a bell's flanks and top; none of them is separated by a half-power dip.
    let m = start;
    let from = m;
    let to = m;
    for (;;) {
      const half = this.smooth(m) / 2;
      let best = m;
      for (from = m; from > 1 && this.smooth(from - 1) >= half; from--)
        if (this.smooth(from - 1) > this.smooth(best)) best = from - 1;
      for (to = m; to < this.lines - 2 && this.smooth(to + 1) >= half; to++)
        if (this.smooth(to + 1) > this.smooth(best)) best = to + 1;
      if (best === m) break;
      m = best;
    }
    // 2. Topographic prominence: on each side the lowest point before the curve rises above the
    // peak (or the spectrum ends); the higher of the two is the key col.
    const peak = this.smooth(m);
    let col = 0;
    for (const direction of [-1, 1] as const) {
      let low = peak;
      for (let j = m + direction; j >= 1 && j <= this.lines - 2; j += direction) {
        const v = this.smooth(j);
        if (v > peak) break;
        if (v < low) low = v;
      }
      col = Math.max(col, low);
    }
    const densityProminence = Math.log10(Math.max(peak, this.floor)) - Math.log10(Math.max(col, this.floor));
    // 2b. The prominence at the bell's own scale, against the scatter of such an average.
    const width = to - from + 1;
    const average = Math.max(3, Math.round(width / 2));
    const significance =
      this.scaledProminence(m, from, to, average) / (Math.SQRT2 * this.scatter.sigma(average));
    // 3. The raw top near the smoothed one, the vector there that is this shape, the frequency.
    let line = m;
    for (let j = Math.max(1, m - 1); j <= Math.min(this.lines - 2, m + 1); j++)
      if (this.raw(j) > this.raw(line)) line = j;
    const vector = this.bestVector(line);
    let span = 1;
    for (let j = from; j <= to; j++) {
      this.raw(j);
      span = Math.min(span, this.spanCache[j] as number);
    }
    return {
      line,
      shapeLine: line,
      vector,
      span,
      frequency: this.interpolate(line),
      prominence,
      densityProminence,
      significance,
      coherence: coherenceAt(this.spectrum, line, vector),
      density: this.raw(line),
      from,
      to,
      merged: false,
    };
  }

  /**
   * A mode hidden in accepted peak a's bell: with φ_a's direction projected out of the kept
   * subspace, G restricted to it is s₁v₁v₁ᴴ + s₂v₂v₂ᴴ with v_i = u_i − φ_a(φ_aᴴu_i); its leading
   * eigenpair (from the 2×2 Gram matrix of [√s₁v₁, √s₂v₂]) is the strongest other shape at each
   * line. Within three half-power widths of a, where it peaks away from a (not the estimation
   * leakage that mirrors a's own bell) its shape is examined like any candidate.
   */
  hidden(a: Candidate, separation: number, threshold: number): Candidate | undefined {
    const { l, vc } = this;
    const aAt = (a.shapeLine * vc + a.vector) * l;
    const width = Math.max(2, a.to - a.from);
    const lo = Math.max(0, a.line - 3 * width);
    const hi = Math.min(this.lines - 1, a.line + 3 * width);
    const d = new Float64Array(hi - lo + 1);
    for (let j = lo; j <= hi; j++) d[j - lo] = this.deflate(j, aAt);
    // The deflated curve is fixed before any shape is chosen from it, so its own topographic
    // prominence is an unbiased test (the density along a shape taken at a line always peaks
    // at that line).
    const y = logSpectrum(smooth3(d));
    // The highest point within a's bell (its top ± one width): further out the deflated curve
    // is the neighbouring modes' own bells, which are found on their own.
    const near0 = Math.max(1, a.from - width - lo);
    const near1 = Math.min(y.length - 2, a.to + width - lo);
    let best = near0;
    for (let j = near0; j <= near1; j++) if ((y[j] as number) > (y[best] as number)) best = j;
    if (y.length < 3 || topographicProminence(y, best) < threshold) return undefined;
    const line = lo + best;
    // Relative to SV1 the deflated density is ≤ 0.02 at isolated modes (estimation leakage,
    // measured on frames with 5–24 sensors) and 0.36–0.74 where two modes share the bell.
    const s1 = this.spectrum.values[0] as Float64Array;
    const ratio =
      (10 ** (y[best] as number) * 3) / ((s1[line - 1] ?? 0) + (s1[line] ?? 0) + (s1[line + 1] ?? 0));
    const shared = ratio >= SHARED_BELL_RATIO;
    const sameLine = Math.abs(line - a.line) < separation;
    // A second shape at the peak itself: two modes closer than the resolution (or, below the
    // shared ratio, a's own estimation leakage).
    if (sameLine && !shared) return undefined;
    if (line >= a.from && line <= a.to && !shared) return undefined;
    this.deflate(line, aAt, true);
    this.id++;
    this.projection.setReferenceVector(this.wRe, this.wIm);
    const c = this.climb(line, topographicProminence(y, best));
    // Report the stored singular vector closest to the deflated shape within a's reach: at the
    // peak itself the vectors of two close modes are mixtures.
    const { refRe, refIm } = this.projection;
    const { vectorRe: re, vectorIm: im } = this.spectrum;
    let bestMac = -1;
    for (let j = lo; j <= hi; j++) {
      for (let i = 0; i < vc; i++) {
        const m = macArrays(refRe, refIm, re, im, l, 0, (j * vc + i) * l);
        if (m > bestMac) {
          bestMac = m;
          c.shapeLine = j;
          c.vector = i;
        }
      }
    }
    // The deflated curve's prominence is the unbiased test here; the vector at the peak line is
    // a mixture, so coherence is judged where the shape was taken.
    c.coherence = coherenceAt(this.spectrum, c.shapeLine, c.vector);
    // Sharing a's bell, the pair is resolved only if this shape stands as a mode of its own
    // (peaks.ts); otherwise a is marked merged, with both frequencies.
    if (shared) {
      c.partnerOf = a;
      c.sameLine = sameLine;
    }
    return c;
  }

  /** Leading eigenvalue of the kept subspace at line j with the shape at `aAt` projected out. */
  private deflate(j: number, aAt: number, keepVector = false): number {
    const { l, vc } = this;
    if (vc < 2) return 0;
    const { vectorRe: re, vectorIm: im, values } = this.spectrum;
    const s1 = (values[0] as Float64Array)[j] as number;
    const s2 = (values[1] as Float64Array)[j] as number;
    // α_i = φ_aᴴ u_i (φ_a and u_i unit vectors)
    const u1 = j * vc * l;
    const u2 = u1 + l;
    let a1r = 0;
    let a1i = 0;
    let a2r = 0;
    let a2i = 0;
    for (let c = 0; c < l; c++) {
      const pr = re[aAt + c] as number;
      const pi = im[aAt + c] as number;
      a1r += pr * (re[u1 + c] as number) + pi * (im[u1 + c] as number);
      a1i += pr * (im[u1 + c] as number) - pi * (re[u1 + c] as number);
      a2r += pr * (re[u2 + c] as number) + pi * (im[u2 + c] as number);
      a2i += pr * (im[u2 + c] as number) - pi * (re[u2 + c] as number);
    }
    // Gram matrix of M = [√s₁v₁, √s₂v₂]: ‖v_i‖² = 1 − |α_i|², v₁ᴴv₂ = −conj(α₁)α₂.
    const h11 = s1 * Math.max(0, 1 - a1r * a1r - a1i * a1i);
    const h22 = s2 * Math.max(0, 1 - a2r * a2r - a2i * a2i);
    const g = Math.sqrt(s1 * s2);
    const h12r = -g * (a1r * a2r + a1i * a2i);
    const h12i = -g * (a1r * a2i - a1i * a2r);
    const mid = 0.5 * (h11 + h22);
    const lambda = mid + Math.sqrt((0.5 * (h11 - h22)) ** 2 + h12r * h12r + h12i * h12i);
    if (!keepVector || !(lambda > 0)) return lambda;
    // Eigenvector c of the Gram matrix, then w = M c (its direction is all that matters).
    let c1r = h12r;
    let c1i = h12i;
    let c2r = lambda - h11;
    const c2i = 0;
    if (Math.hypot(c1r, c1i, c2r) < 1e-300) {
      c1r = 1;
      c1i = 0;
      c2r = 0;
    }
    const w1 = Math.sqrt(s1);
    const w2 = Math.sqrt(s2);
    for (let c = 0; c < l; c++) {
      const pr = re[aAt + c] as number;
      const pi = im[aAt + c] as number;
      // v_i = u_i − φ_a α_i
      const v1r = (re[u1 + c] as number) - (pr * a1r - pi * a1i);
      const v1i = (im[u1 + c] as number) - (pr * a1i + pi * a1r);
      const v2r = (re[u2 + c] as number) - (pr * a2r - pi * a2i);
      const v2i = (im[u2 + c] as number) - (pr * a2i + pi * a2r);
      this.wRe[c] = w1 * (v1r * c1r - v1i * c1i) + w2 * (v2r * c2r - v2i * c2i);
      this.wIm[c] = w1 * (v1r * c1i + v1i * c1r) + w2 * (v2r * c2i + v2i * c2r);
    }
    return lambda;
  }

  /**
   * Topographic prominence (decades) of the bell whose top is [from, to] on the density averaged
   * over `average` lines, within a window of 8 half-power widths (≥ 30 lines) either side.
   */
  private scaledProminence(m: number, from: number, to: number, average: number): number {
    const width = to - from + 1;
    const reach = Math.max(8 * width, 2 * average, 30);
    const lo = Math.max(1, m - reach);
    const hi = Math.min(this.lines - 2, m + reach);
    const sums = new Float64Array(hi - lo + 2);
    for (let j = lo; j <= hi; j++) sums[j - lo + 1] = (sums[j - lo] as number) + this.raw(j);
    const h = Math.floor(average / 2);
    const at = (j: number): number => {
      const a = Math.max(lo, j - h);
      const b = Math.min(hi, j + h);
      return ((sums[b - lo + 1] as number) - (sums[a - lo] as number)) / (b - a + 1);
    };
    let top = m;
    for (let j = Math.max(lo, from); j <= Math.min(hi, to); j++) if (at(j) > at(top)) top = j;
    const peak = at(top);
    let col = 0;
    for (const direction of [-1, 1] as const) {
      let low = peak;
      for (let j = top + direction; j >= lo && j <= hi; j += direction) {
        const v = at(j);
        if (v > peak) break;
        if (v < low) low = v;
      }
      col = Math.max(col, low);
    }
    return Math.log10(Math.max(peak, this.floor)) - Math.log10(Math.max(col, this.floor));
  }

  private raw(j: number): number {
    if (this.stamp[j] !== this.id) {
      this.cache[j] = this.projection.at(j);
      this.spanCache[j] = this.projection.span;
      this.stamp[j] = this.id;
    }
    return this.cache[j] as number;
  }

  private smooth(j: number): number {
    return (this.raw(j - 1) + this.raw(j) + this.raw(j + 1)) / 3;
  }

  /** The kept singular vector at `line` closest to the reference shape. */
  private bestVector(line: number): number {
    const { vectorRe: re, vectorIm: im, vectorCount: vc } = this.spectrum;
    const l = this.spectrum.csd.channels;
    let best = 0;
    let bestMac = -1;
    for (let i = 0; i < vc; i++) {
      const { refRe, refIm } = this.projection;
      const m = macArrays(refRe, refIm, re, im, l, 0, (line * vc + i) * l);
      if (m > bestMac) {
        bestMac = m;
        best = i;
      }
    }
    return best;
  }

  /**
   * Vertex of the least-squares parabola through log p_φ over the top of the peak at k — the
   * lines within half of its power (at least k±1, at most k±8): fitting the whole half-power top
   * averages out the Welch scatter of single lines.
   */
  private interpolate(k: number): number {
    const freqs = this.spectrum.frequencies;
    const logAt = (j: number): number => Math.log10(Math.max(this.raw(j), this.floor));
    const halfPower = logAt(k) - Math.log10(2);
    let lo = k - 1;
    let hi = k + 1;
    while (lo > 1 && k - lo < 8 && logAt(lo - 1) >= halfPower) lo--;
    while (hi < this.lines - 2 && hi - k < 8 && logAt(hi + 1) >= halfPower) hi++;
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
      const v = logAt(j);
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
}
