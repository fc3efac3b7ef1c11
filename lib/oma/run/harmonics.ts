import type { Checkpoint } from '../control.js';
import { logSpectrum, roughness, smooth3, topographicProminence } from '../fdd/spectrum-tools.js';
import type { Evidence, Harmonic } from '../modal/diagnostics.js';
import { bandFrequencyRange, bandKurtosis } from '../signal/band-kurtosis.js';
import type { Finding } from './findings.js';
import { type HarmonicRule, harmonicRule, type LineEvidence, multipleOrder } from './harmonic-rules.js';

/**
 * Harmonic lines of a record, found on its spectrum before any mode is picked: every prominent
 * peak of the trace of the spectral matrix (Σ of the channels' auto-spectra, where every mode and
 * every harmonic shows) inside the band is judged by harmonic-rules.ts on the kurtosis of the
 * record band-passed around it — on the channel where the line stands highest above its
 * surroundings — its width, and integer relations with the others. A harmonic line comes with the
 * span of lines its leakage covers, which FDD/EFDD interpolate away (fdd/clean.ts: the mode
 * beneath is still found, its bell with the line removed, as Brincker et al. do) and SSI uses to
 * set aside the line's poles.
 */
export interface SpectralView {
  readonly frequencies: Float64Array;
  /** Σ_c G_cc(f). */
  readonly trace: Float64Array;
  readonly channels: number;
  /** G_cc at line k. */
  auto(c: number, k: number): number;
  /** Interpolates the spectrum (and the trace) across lines from..to, inclusive. */
  removeSpan(from: number, to: number): void;
}

export interface HarmonicLine {
  readonly frequency: number;
  /** The lines its leakage covers, inclusive. */
  readonly from: number;
  readonly to: number;
  /** Half its half-height width over its frequency (a sine's is the window's). */
  readonly apparentDamping: number;
  readonly rule: HarmonicRule;
  readonly evidence: Evidence;
}

export interface LineVerdict {
  readonly frequency: number;
  readonly kurtosis: number;
  readonly harmonic: boolean;
}

/** At most this many candidate lines are tested (the most prominent): ~20 ms each for an hour. */
const MAX_CANDIDATES = 40;
const MIN_PROMINENCE = 0.3;

export async function scanHarmonics(
  view: SpectralView,
  channels: readonly Float64Array[],
  fs: number,
  band: { readonly fmin: number; readonly fmax: number },
  checkpoint?: Checkpoint,
): Promise<{ lines: HarmonicLine[]; verdicts: LineVerdict[] }> {
  const lines = view.frequencies.length;
  const n = channels[0]?.length ?? 0;
  const found: Found[] = [];
  const verdicts: LineVerdict[] = [];
  if (lines < 8 || n < 64) return { lines: [], verdicts };
  const scan = new Scan(view, channels, fs, new Float64Array(n));
  const undecided: Measured[] = [];
  // Once a line is removed another can stand out (a mode beneath it, a side line of a wandering
  // speed), so the scan repeats, testing only lines not tested before, while it finds more.
  for (let pass = 0; pass < PASSES; pass++) {
    const before = found.length;
    const candidates = scan.candidates(band, found);
    for (const [i, k] of candidates.entries()) {
      await checkpoint?.tick((pass + i / candidates.length) / PASSES, 'looking for harmonics');
      if (found.some((h) => k >= h.line.from && k <= h.line.to)) continue;
      const m = scan.measure(k, found);
      if (m === undefined) continue;
      const rule = harmonicRule(m.evidence, false);
      if (rule === undefined) undecided.push(m);
      else found.push(scan.harmonic(m, rule, undefined));
    }
    // Multiples (2×, 3×, …) of a line the kurtosis alone made harmonic, on weaker evidence.
    for (const m of [...undecided]) {
      const multiple = multipleOf(m.evidence.frequency, found, scan.df);
      const rule = multiple === undefined ? undefined : harmonicRule(m.evidence, true);
      if (rule === undefined) continue;
      undecided.splice(undecided.indexOf(m), 1);
      found.push(scan.harmonic(m, rule, multiple));
    }
    for (const h of found.slice(before)) view.removeSpan(h.line.from, h.line.to);
    if (found.length === before) break;
  }
  for (const h of found) verdicts.push({ frequency: h.line.frequency, kurtosis: h.kurtosis, harmonic: true });
  for (const m of undecided)
    verdicts.push({ frequency: m.evidence.frequency, kurtosis: m.evidence.kurtosis, harmonic: false });
  return { lines: found.map((h) => h.line).sort((a, b) => a.frequency - b.frequency), verdicts };
}

const PASSES = 3;
/**
 * The band searched for a harmonic's speed wander: ±1.5 % (a speed wandering more makes a broad
 * hump, not a line); wider, a mode beside the line takes over the zero crossings.
 */
const MAX_WANDER = 0.015;

interface Measured {
  readonly k: number;
  readonly channel: number;
  readonly band: readonly [number, number];
  readonly evidence: LineEvidence;
}

interface Found {
  readonly line: HarmonicLine;
  readonly kurtosis: number;
  /** The range its frequency wanders over, Hz. */
  readonly extent: readonly [number, number];
}

/** The measurements of one scan: candidate lines, their evidence, a harmonic's extent. */
class Scan {
  readonly df: number;
  private readonly tested = new Set<number>();

  constructor(
    private readonly view: SpectralView,
    private readonly channels: readonly Float64Array[],
    private readonly fs: number,
    private readonly work: Float64Array,
  ) {
    this.df = (view.frequencies[1] as number) - (view.frequencies[0] as number);
  }

  /** Prominent trace peaks in the band, not tested before nor inside a harmonic: highest first. */
  candidates(band: { readonly fmin: number; readonly fmax: number }, found: readonly Found[]): number[] {
    const { trace, frequencies: freqs } = this.view;
    const y = logSpectrum(smooth3(trace));
    const threshold = Math.max(MIN_PROMINENCE, 4 * roughness(y));
    const out: { k: number; prominence: number }[] = [];
    for (let k = 3; k < freqs.length - 3; k++) {
      const f = freqs[k] as number;
      if (f < band.fmin || f > band.fmax) continue;
      const v = y[k] as number;
      if (!(v > (y[k - 1] as number) && v >= (y[k + 1] as number))) continue;
      const top = rawTop(trace, k);
      if (this.tested.has(top) || this.tested.has(top - 1) || this.tested.has(top + 1)) continue;
      if (found.some((h) => top >= h.line.from && top <= h.line.to)) continue;
      const prominence = topographicProminence(y, k);
      if (prominence >= threshold) out.push({ k: top, prominence });
    }
    out.sort((a, b) => b.prominence - a.prominence);
    return out
      .slice(0, Math.max(0, MAX_CANDIDATES - this.tested.size))
      .map((c) => c.k)
      .sort((a, b) => (trace[b] as number) - (trace[a] as number));
  }

  /** Width and band kurtosis of the line at k, with the harmonics found so far notched out. */
  measure(k: number, found: readonly Found[]): Measured | undefined {
    this.tested.add(k);
    const { trace, frequencies: freqs } = this.view;
    const { df, fs } = this;
    const { lo, hi } = halfHeight(trace, k);
    const widthLines = hi - lo + 1;
    const frequency = vertex(trace, freqs, k);
    const halfWidth = (widthLines * df) / 2;
    const w = Math.max(3 * halfWidth, 2.5 * df);
    const range = [Math.max(df, frequency - w), Math.min(fs / 2 - df, frequency + w)] as const;
    if (!(range[1] > range[0])) return undefined;
    const channel = bestChannel(this.view, k, Math.max(4, 3 * widthLines));
    const notches = found
      .filter((h) => h.extent[1] + 4 * df >= range[0] && h.extent[0] - 4 * df <= range[1])
      .map((h) => [h.extent[0] - 2 * df, h.extent[1] + 2 * df] as const);
    const stats = bandKurtosis(this.channels, fs, this.oneHot(channel), range, this.work, notches);
    return {
      k,
      channel,
      band: range,
      evidence: {
        frequency,
        kurtosis: stats.kurtosis,
        duration: stats.samples / fs,
        apparentDamping: halfWidth / frequency,
        widthLines,
        df,
      },
    };
  }

  /** A harmonic line: its extent (where its speed wanders), the lines to remove, the evidence. */
  harmonic(m: Measured, rule: HarmonicRule, multiple: { of: number; order: number } | undefined): Found {
    const { df, fs } = this;
    const f = m.evidence.frequency;
    const reach = Math.max(MAX_WANDER * f, 4 * df);
    const wide = [Math.max(df, f - reach), Math.min(fs / 2 - df, f + reach)] as const;
    const range = bandFrequencyRange(this.channels, fs, this.oneHot(m.channel), wide, this.work);
    // A sinusoidal wander adds side lines out to about Δf + f_wander (Carson's rule) beyond the
    // range the frequency itself covers: half the range again is kept as a margin.
    const margin = 0.5 * (range[1] - range[0]);
    const extent = [Math.min(range[0] - margin, f - df), Math.max(range[1] + margin, f + df)] as const;
    const leak = leakageSpan(this.view.trace, m.k, m.evidence.widthLines ?? 1);
    const freqs = this.view.frequencies;
    // The straight line that replaces the span runs between its neighbours: move each end to the
    // lowest point a few lines out, so neither rests on a side line or a leakage lobe.
    const s = smooth3(this.view.trace);
    const from =
      lowestNear(s, Math.max(1, Math.min(leak.from, Math.floor((extent[0] - 2 * df) / df))), -1) + 1;
    const to =
      lowestNear(s, Math.min(freqs.length - 2, Math.max(leak.to, Math.ceil((extent[1] + 2 * df) / df))), 1) -
      1;
    const line: HarmonicLine = {
      frequency: f,
      from,
      to,
      apparentDamping: m.evidence.apparentDamping,
      rule,
      evidence: {
        rule,
        kurtosis: round(m.evidence.kurtosis),
        kurtosis_band_hz: `${round(m.band[0])}–${round(m.band[1])}`,
        channel: m.channel,
        width_lines: m.evidence.widthLines ?? 0,
        resolution_hz: round(df),
        apparent_damping: round(m.evidence.apparentDamping),
        wander_hz: `${round(extent[0])}–${round(extent[1])}`,
        ...(multiple === undefined ? {} : { multiple_of_hz: round(multiple.of), order: multiple.order }),
      },
    };
    return { line, kurtosis: m.evidence.kurtosis, extent };
  }

  private oneHot(channel: number): Float64Array {
    const w = new Float64Array(this.view.channels);
    w[channel] = 1;
    return w;
  }
}

/** The line of the lowest value within 4 lines of `start` going in `direction` (kept inside the spectrum). */
function lowestNear(y: Float64Array, start: number, direction: 1 | -1): number {
  let best = start;
  for (let j = start; Math.abs(j - start) <= 4 && j >= 1 && j <= y.length - 2; j += direction)
    if ((y[j] as number) < (y[best] as number)) best = j;
  return best;
}

/** The lowest kurtosis-strong harmonic of which f is a multiple (2×, 3×, …), if any. */
function multipleOf(
  f: number,
  found: readonly Found[],
  df: number,
): { of: number; order: number } | undefined {
  for (const h of [...found].sort((a, b) => a.line.frequency - b.line.frequency)) {
    if (h.line.rule !== 'kurtosis') continue;
    const order = multipleOrder(f, h.line.frequency, 2 * df);
    if (order > 0) return { of: h.line.frequency, order };
  }
  return undefined;
}

/** The diagnostic that says a line was set aside as a harmonic. */
export function harmonicFinding(line: HarmonicLine): Finding {
  return {
    code: 'HARMONIC',
    severity: 'info',
    message: `${line.frequency.toFixed(3)} Hz is a harmonic (${describeRule(line)}), not a mode: it is left out of the modes`,
    fix: 'nothing to do: a mode beneath it is still identified; a record with the machine stopped confirms it',
    evidence: line.evidence,
  };
}

function describeRule(line: HarmonicLine): string {
  const k = line.evidence.kurtosis;
  const parts = [
    `kurtosis ${k} of the band-passed record, where a sine has 1.5 and a mode's random response 3`,
  ];
  if (line.rule === 'kurtosis+narrow') parts.push(`${line.evidence.width_lines} lines wide, a sine's width`);
  if (line.rule === 'kurtosis+damping') parts.push(`damping ${line.evidence.damping}, near zero`);
  if (line.evidence.order !== undefined)
    parts.push(`${line.evidence.order}× ${line.evidence.multiple_of_hz} Hz`);
  return parts.join('; ');
}

/** A harmonic line as the result lists it. */
export function harmonicOf(line: HarmonicLine, source: Harmonic['source']): Harmonic {
  return { frequency: line.frequency, source, evidence: line.evidence };
}

/** The line of the largest raw value among k-1, k, k+1. */
function rawTop(v: Float64Array, k: number): number {
  let best = k;
  for (let j = k - 1; j <= k + 1; j++) if ((v[j] as number) > (v[best] as number)) best = j;
  return best;
}

/** Lines where the raw trace stays at or above half its value at k. */
function halfHeight(trace: Float64Array, k: number): { lo: number; hi: number } {
  const half = (trace[k] as number) / 2;
  let lo = k;
  let hi = k;
  while (lo > 1 && (trace[lo - 1] as number) >= half) lo--;
  while (hi < trace.length - 2 && (trace[hi + 1] as number) >= half) hi++;
  return { lo, hi };
}

/** Vertex of the parabola through log trace at k − 1, k, k + 1. */
function vertex(trace: Float64Array, freqs: Float64Array, k: number): number {
  const a = Math.log(Math.max(trace[k - 1] as number, Number.MIN_VALUE));
  const b = Math.log(Math.max(trace[k] as number, Number.MIN_VALUE));
  const c = Math.log(Math.max(trace[k + 1] as number, Number.MIN_VALUE));
  const den = a - 2 * b + c;
  const delta = den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den)) : 0;
  const df = (freqs[1] as number) - (freqs[0] as number);
  return (freqs[k] as number) + delta * df;
}

/** The channel where the line stands highest above the level `reach` lines to either side. */
function bestChannel(view: SpectralView, k: number, reach: number): number {
  const lines = view.frequencies.length;
  let best = 0;
  let bestRatio = -1;
  for (let c = 0; c < view.channels; c++) {
    const left = view.auto(c, Math.max(1, k - reach));
    const right = view.auto(c, Math.min(lines - 1, k + reach));
    const floor = 0.5 * (left + right);
    const ratio = floor > 0 ? view.auto(c, k) / floor : 0;
    if (ratio > bestRatio) {
      bestRatio = ratio;
      best = c;
    }
  }
  return best;
}

/**
 * The lines a harmonic's leakage covers: from its half-height edges outward while the three-line
 * average still falls by a third within the next few lines (the line's skirt is steep; a bell
 * beneath it or the noise floor is not), at most 3 widths (≥ 8 lines) beyond the edges.
 */
function leakageSpan(trace: Float64Array, k: number, widthLines: number): { from: number; to: number } {
  const s = smooth3(trace);
  const { lo, hi } = halfHeight(trace, k);
  const reach = Math.max(8, 3 * widthLines);
  const look = Math.max(3, widthLines);
  const walk = (start: number, direction: 1 | -1): number => {
    let j = start;
    for (let step = 0; step < reach; step++) {
      const next = j + direction;
      if (next < 1 || next > s.length - 2) break;
      let ahead = Number.POSITIVE_INFINITY;
      for (let m = 1; m <= look; m++) {
        const at = next + direction * m;
        if (at < 0 || at >= s.length) break;
        ahead = Math.min(ahead, s[at] as number);
      }
      if (!((s[next] as number) > 1.5 * ahead)) break;
      j = next;
    }
    return j;
  };
  return { from: Math.max(1, walk(lo, -1) - 1), to: Math.min(s.length - 2, walk(hi, 1) + 1) };
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
