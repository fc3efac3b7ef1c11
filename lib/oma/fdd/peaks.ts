import { InvalidOptionError } from '../errors.js';
import { macArrays, spanFraction } from '../modal/mac.js';
import { pairShapes } from './pair-shapes.js';
import { type Candidate, ModalPeakFinder, SPAN_MIN } from './peak-finder.js';
import {
  coherenceAt,
  flanks,
  logSpectrum,
  rawTop,
  smooth3,
  topographicProminence,
} from './spectrum-tools.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * Automatic peak picking on the singular-value spectrum of FDD (Brincker, Zhang & Andersen 2001),
 * with every candidate judged on the spectral density along its own shape, p_φ(f) = φᴴG(f)φ
 * (modal-density.ts; Zhang, Wang & Tamura 2010) — a mode is a clean bell along its own shape
 * even where a close mode's bell overlaps it in SV1.
 *  1. Candidates: local maxima of log10 S̄_s, s = 1, 2, S̄ the three-line average (Welch estimates
 *     scatter as χ²/ν; single-line dips would split a bell), whose standard topographic prominence
 *     (the drop to the higher key col, as scipy.signal.peak_prominences) reaches 2.5 standard
 *     deviations of the difference of two such averages (scatter.ts), unless minProminence is given.
 *  2. Shapes: the singular vector at the top and at the hump's two half-power flanks (where two
 *     close modes cross, the top's vector is a mixture while each flank carries one mode), each
 *     only if coherent — MAC ≥ `coherence` with the best-matching vector at both neighbouring
 *     lines (a mode's shape persists across its bell, noise's does not).
 *  3. Each shape φ is followed on p̄_φ to the top of its bell (the highest point of the region
 *     above half the current value, repeated — Welch ripples never dip to half power), where its
 * *     prominence must be significant — ≥ 10 standard deviations of the scatter of the density
 *     averaged over half the bell's width (a broad weak bell stands out at its own scale, a bump
 *     of noise does not), or ≥ 16 on the three-line average — and φ must stay in the kept
 *     singular subspace (Σ MAC ≥ 0.8) across the half-power top.
 *  4. Strongest first (largest p_φ at the peak), a peak is dropped within `minSeparationLines`
 *     of an accepted one or inside an accepted peak's half-power top: with the same shape it is
 *     the same bell; with another it may be a close mode or merely the stronger peak's estimation
 *     leakage (the density along almost any shape rises under a strong bell, since the estimated
 *     u₁ is never exactly the mode's shape), which only step 5 can tell apart.
 *  5. Hidden modes: for each accepted peak a, the leading eigenvalue of the kept subspace with
 *     φ_a projected out, over three half-power widths of a. Where its three-line average peaks
 *     with the threshold prominence (a curve fixed before any shape is chosen, so an unbiased
 *     test) at least `minSeparationLines` from a — and inside a's top only if it reaches 0.2 of
 *     SV1: measured ≤ 0.02 at isolated modes (leakage), 0.36–0.74 where two modes share a bell —
 *     its shape is followed as in 3. At a itself, that ratio means two modes closer than the
 *     resolution: the second is reported when it passes 3 with a shape unlike a's, else a is
 *     `merged` (with the second density's frequency).
 *  6. A peak whose shape has ≥ 0.8 of its energy in the span of the accepted shapes just below
 *     and above it, less than 20 % apart, is the SV2 hump where two bells cross: dropped,
 *     weakest first.
 * The frequency is the vertex of a least-squares parabola through log p_φ over the peak's top.
 * Neighbours whose half-power tops touch get their shapes separated within the pair's plane
 * (pair-shapes.ts).
 * Measured (30-minute records, 5 seeds): every mode and no spurious one on frames with 1–24
 * sensors, shapes aliased at the sensors (MAC 0.98), and pairs 0.5–1 half-power bandwidth apart;
 * see docs/oma.md.
 */
export interface PeakOptions {
  /** Frequency bands [fmin, fmax] in Hz to search; default: the whole spectrum above DC. */
  readonly bands?: readonly (readonly [number, number])[];
  /** Minimum prominence in decades. @default from the Welch scatter (scatter.ts) */
  readonly minProminence?: number;
  /** Minimum MAC between the peak's vector and its neighbours'. @default 0.8 */
  readonly coherence?: number;
  /** Search the second singular value for closely spaced modes. @default true */
  readonly closeModes?: boolean;
  /** Keep at most this many peaks (the most prominent). @default unlimited */
  readonly maxModes?: number;
  /** Peaks closer than this many lines are the same peak. @default 2 */
  readonly minSeparationLines?: number;
}

const SAME_SHAPE_MAC = 0.8;
/** Candidate threshold on the three-line averages, in standard deviations (a generous first cut). */
const CANDIDATE_Z = 2.5;
/** A mode's prominence at its bell's own scale, in standard deviations of that scale's scatter. */
const SIGNIFICANCE = 10;
/** …or on the three-line average, for bells a wider average would merge with a neighbour's. */
const NARROW_SIGNIFICANCE = 16;
const MIXTURE_FRACTION = 0.8;
/** Close-mode span: mixtures only arise between modes whose bells overlap. */
const CLOSE_SPAN = 0.2;

export function pickPeaks(spectrum: FddSpectrum, options: PeakOptions = {}): SpectralPeak[] {
  const freqs = spectrum.frequencies;
  const lines = freqs.length;
  if (lines < 5) return [];
  const bands = bandRanges(freqs, options.bands);
  const coherenceMin = options.coherence ?? 0.8;
  const separation = options.minSeparationLines ?? 2;
  const svCount = options.closeModes === false ? 1 : Math.min(2, spectrum.vectorCount);
  // Peaks are searched over the whole spectrum so that a peak near a band edge is judged with its
  // neighbours (prominence, mixtures); only those inside the bands are returned.
  const finder = new ModalPeakFinder(spectrum);
  const candidates: Candidate[] = [];
  const y1 = logSpectrum(smooth3(spectrum.values[0] as Float64Array));
  const threshold = candidateThreshold(options, finder);
  const sigma3 = Math.SQRT2 * finder.scatter.sigma(3);
  const significant = (c: Candidate): boolean =>
    options.minProminence === undefined
      ? c.significance >= SIGNIFICANCE || c.densityProminence >= NARROW_SIGNIFICANCE * sigma3
      : c.densityProminence >= options.minProminence;
  for (let s = 0; s < svCount; s++) {
    const y = logSpectrum(smooth3(spectrum.values[s] as Float64Array));
    for (let k = 1; k <= lines - 2; k++) {
      const yk = y[k] as number;
      if (!(yk > (y[k - 1] as number) && yk >= (y[k + 1] as number))) continue;
      const prominence = topographicProminence(y, k);
      if (prominence < threshold) continue;
      // The shape at the top and on the hump's two flanks: where two close modes' bells cross,
      // the top of SV1 or SV2 can be a mixture of both shapes, while on each flank one mode
      // dominates (SV2 carries each mode's shape on the side away from that mode).
      const top = rawTop(spectrum.values[s] as Float64Array, k);
      for (const start of [top, ...flanks(y, k)]) {
        if (coherenceAt(spectrum, start, s) < coherenceMin) continue;
        const c = finder.examine(start, s, prominence);
        if (significant(c) && c.coherence >= coherenceMin && c.span >= SPAN_MIN) candidates.push(c);
      }
    }
  }
  candidates.sort((a, b) => b.density - a.density);
  const accepted: Candidate[] = [];
  for (const c of candidates) {
    if (accepted.some((a) => Math.abs(a.line - c.line) < separation)) continue;
    // Inside a stronger peak's half-power top: the same shape is the same bell reached from
    // another start; another shape may be a close mode or the estimation leakage of the stronger
    // peak (the density along almost any shape peaks under a strong bell, since the estimated
    // u₁ is never exactly the mode's shape) — only the deflated search below can tell them apart.
    if (accepted.some((a) => c.line >= a.from && c.line <= a.to)) continue;
    accepted.push(dominantShape(spectrum, c, y1));
  }
  // A mode hidden in an accepted mode's bell (closer than SV1 can show, or under a stronger
  // neighbour): the density left once the accepted shape is projected out peaks there.
  if (options.closeModes !== false && spectrum.csd.channels > 1) {
    for (const a of [...accepted]) {
      const c = finder.hidden(a, separation, threshold);
      if (c === undefined) continue;
      const valid = significant(c) && c.coherence >= coherenceMin && c.span >= SPAN_MIN;
      const partner = c.partnerOf;
      // Two shapes in one bell: resolved as two modes when the second is a mode of its own with a
      // shape unlike the first (orthogonal bending pairs: the density along each shape is its own
      // bell, whose vertex gives its frequency even below the line spacing); else merged.
      const distinct =
        valid &&
        (c.sameLine === true
          ? partner !== undefined && mac(spectrum, partner, c) < SAME_SHAPE_MAC
          : !accepted.some((b) => Math.abs(b.line - c.line) < separation) &&
            !accepted.some(
              (b) => c.line >= b.from && c.line <= b.to && mac(spectrum, b, c) >= SAME_SHAPE_MAC,
            ));
      if (distinct) accepted.push(c);
      else if (
        partner !== undefined &&
        c.line >= partner.from &&
        c.line <= partner.to &&
        !accepted.some(
          (b) =>
            b !== partner && (Math.abs(b.line - c.line) < separation || (c.line >= b.from && c.line <= b.to)),
        )
      ) {
        // …unless the second shape is another accepted mode's, seen through the shared bell.
        partner.merged = true;
        partner.mergedFrequency = c.frequency;
      }
    }
  }
  // Mixtures last, weakest first, so that both modes of a crossing are known whatever the order
  // in which the three candidates came.
  for (const c of [...accepted].reverse()) {
    const others = accepted.filter((a) => a !== c);
    if (isMixture(spectrum, c, others)) accepted.splice(accepted.indexOf(c), 1);
  }
  let result = accepted.filter((p) => bands.some(([lo, hi]) => p.line >= lo && p.line <= hi));
  if (options.maxModes !== undefined && result.length > options.maxModes) {
    result = [...result].sort((a, b) => b.prominence - a.prominence).slice(0, options.maxModes);
  }
  result.sort((a, b) => a.frequency - b.frequency);
  const shapes = separatedShapes(spectrum, result);
  return result.map((c, i) => ({
    line: c.line,
    frequency: c.frequency,
    singularValue: c.vector + 1,
    ...(c.shapeLine !== c.line ? { shapeLine: c.shapeLine } : {}),
    prominence: c.prominence,
    significance: c.significance,
    densityProminence: c.densityProminence,
    coherence: c.coherence,
    ...(c.merged ? { merged: true } : {}),
    ...(c.merged && c.mergedFrequency !== undefined ? { mergedFrequency: c.mergedFrequency } : {}),
    ...(c.partnerOf === undefined ? {} : { pairedWith: c.partnerOf.frequency }),
    ...(shapes[i] === undefined ? {} : { shape: shapes[i] }),
  }));
}

/**
 * Shapes of neighbouring peaks whose half-power tops overlap or touch (a close pair), separated
 * within the pair's plane from their outer flanks (pair-shapes.ts); undefined where the peak is
 * not in such a pair or the flanks do not separate them.
 */
function separatedShapes(
  spectrum: FddSpectrum,
  peaks: readonly Candidate[],
): ({ re: Float64Array; im: Float64Array } | undefined)[] {
  const out: ({ re: Float64Array; im: Float64Array } | undefined)[] = peaks.map(() => undefined);
  for (let i = 1; i < peaks.length; i++) {
    const a = peaks[i - 1] as Candidate;
    const b = peaks[i] as Candidate;
    if (b.from > a.to + 1 || out[i - 1] !== undefined) continue;
    const pair = pairShapes(
      spectrum,
      a.line,
      b.line,
      Math.min(a.from, a.line - 1),
      Math.max(b.to, b.line + 1),
    );
    if (pair === undefined) continue;
    out[i - 1] = pair.a;
    out[i] = pair.b;
  }
  return out;
}

/**
 * Candidates (three-line averages of SV1 and SV2, and of the deflated density) must stand out by
 * `CANDIDATE_Z` standard deviations of the difference of two such averages (scatter.ts), or by
 * the given minProminence (decades).
 */
function candidateThreshold(options: PeakOptions, finder: ModalPeakFinder): number {
  return options.minProminence ?? CANDIDATE_Z * Math.SQRT2 * finder.scatter.sigma(3);
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
      throw new InvalidOptionError('bands', `frequency band [${fmin}, ${fmax}] must satisfy 0 ≤ fmin < fmax`);
    }
    const lo = Math.max(0, Math.ceil(fmin / df));
    const hi = Math.min(lines - 1, Math.floor(fmax / df));
    return [lo, hi] as [number, number];
  });
}

function mac(spectrum: FddSpectrum, a: Candidate, b: Candidate): number {
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  const { vectorRe: re, vectorIm: im } = spectrum;
  return macArrays(re, im, re, im, l, (a.shapeLine * vc + a.vector) * l, (b.shapeLine * vc + b.vector) * l);
}

/**
 * The shape a peak reports. The search shape φ found the peak, but where φ carries under half of
 * SV1 at the peak, SV1 itself peaks there and its vector is another shape, the mode at that line
 * is SV1's: φ is a residue of it. (Two modes whose shapes nearly coincide at the sensors leave in
 * SV2 the direction orthogonal to the stronger one, and the density along it is a clean bell of
 * the other mode — at the right frequency, with a meaningless shape.) A weak mode under a strong
 * neighbour's tail keeps its own shape: SV1 does not peak there.
 */
function dominantShape(spectrum: FddSpectrum, c: Candidate, y1: Float64Array): Candidate {
  const s1 = (spectrum.values[0] as Float64Array)[c.line] as number;
  if (!(c.density < 0.5 * s1) || c.vector === 0) return c;
  let sv1Peak = false;
  for (let k = Math.max(1, c.line - 1); k <= Math.min(y1.length - 2, c.line + 1); k++)
    if ((y1[k] as number) > (y1[k - 1] as number) && (y1[k] as number) >= (y1[k + 1] as number))
      sv1Peak = true;
  if (!sv1Peak) return c;
  const dominant = { ...c, shapeLine: c.line, vector: 0 };
  return mac(spectrum, c, dominant) >= SAME_SHAPE_MAC ? c : dominant;
}

/**
 * Whether the candidate's shape is mostly (≥ 0.8 of its energy) in the span of the shapes of the
 * accepted peaks just below and above it, when those are less than 20 % apart: the hump of the
 * second singular value where two close modes' bells cross.
 */
function isMixture(spectrum: FddSpectrum, c: Candidate, accepted: readonly Candidate[]): boolean {
  let below: Candidate | undefined;
  let above: Candidate | undefined;
  for (const a of accepted) {
    if (a.frequency <= c.frequency && (below === undefined || a.frequency > below.frequency)) below = a;
    if (a.frequency > c.frequency && (above === undefined || a.frequency < above.frequency)) above = a;
  }
  if (below === undefined || above === undefined) return false;
  if (above.frequency - below.frequency > CLOSE_SPAN * below.frequency) return false;
  const l = spectrum.csd.channels;
  const vc = spectrum.vectorCount;
  return (
    spanFraction(
      spectrum.vectorRe,
      spectrum.vectorIm,
      l,
      (c.shapeLine * vc + c.vector) * l,
      (below.shapeLine * vc + below.vector) * l,
      (above.shapeLine * vc + above.vector) * l,
    ) >= MIXTURE_FRACTION
  );
}
