import { InvalidOptionError } from '../errors.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from '../modal/modal.js';
import type { Mode } from '../modal/types.js';
import { BluesteinFft, isPowerOfTwo, RealFft } from '../signal/fft.js';
import { type BellOptions, DEFAULT_BELL_MAC_THRESHOLD, sdofBell } from './bell.js';
import { shapeAt } from './spectrum.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * Enhanced FDD (Brincker, Ventura & Andersen 2001, "Damping estimation by frequency domain
 * decomposition", IMAC XIX; Gade, Møller, Herlufsen & Konstantin-Hansen 2005): each peak's SDOF
 * bell (see `sdofBell`) is taken back to the time domain by an inverse FFT. The result is the
 * normalised auto-correlation of that mode's SDOF system, r(τ) ∝ e^{-ζω_n τ} cos(ω_d τ):
 *  - frequency: ω_d from a straight-line fit of the zero-crossing times against their count
 *    (crossings are half a damped period apart), then f_n = f_d / √(1 - ζ²);
 *  - damping: from the logarithmic decrement — a straight-line fit of ln|extremum| against its
 *    time gives -ζω_n, so with x = ζω_n/ω_d, ζ = x/√(1 + x²) — using the extrema between
 *    `upperAmplitude` and `lowerAmplitude` of r(0) (the first is distorted by the bell's
 *    truncation, the tail by noise).
 * Welch window bias: the inverse transform of a Welch spectrum is the true correlation times the
 * window's normalised autocorrelation ρ_w(τ) = Σ w_n w_{n+τ} / Σ w_n² (Bendat & Piersol,
 * Random Data, §11.5), which would add its own decay to the envelope; dividing by ρ_w removes it
 * (used where ρ_w ≥ 0.2, i.e. τ up to 0.48 of a segment for Hann).
 * A mode that fails (bell too narrow, too few extrema) gets damping NaN and an `error`; the
 * others are unaffected.
 */
export interface EfddOptions extends BellOptions {
  /** Bell boundary: share of the peak's shape in the leading singular subspace. @default 0.8 */
  readonly macThreshold?: number;
  /** Largest normalised extremum used in the decrement fit. @default 0.9 */
  readonly upperAmplitude?: number;
  /** Smallest normalised extremum used. @default 0.3 */
  readonly lowerAmplitude?: number;
  /** Divide out the analysis window's autocorrelation. @default true */
  readonly correctWindow?: boolean;
}

const MIN_EXTREMA = 3;
const MIN_WINDOW_CORRELATION = 0.2;

export function efdd(
  spectrum: FddSpectrum,
  peaks: readonly SpectralPeak[],
  options: EfddOptions = {},
): Mode[] {
  const macThreshold = options.macThreshold ?? DEFAULT_BELL_MAC_THRESHOLD;
  const fitter = new BellFitter(spectrum, options);
  return peaks.map((peak) => {
    const shape = shapeAt(spectrum, peak.shapeLine ?? peak.line, peak.singularValue - 1);
    const base: Mode = {
      frequency: peak.frequency,
      damping: Number.NaN,
      shape: realShape(shape),
      mpc: modalPhaseCollinearity(shape),
      mpd: meanPhaseDeviation(shape),
      singularValue: peak.singularValue,
    };
    const bell = sdofBell(spectrum, peak, macThreshold, options);
    if (bell.to - bell.from < 2) {
      return { ...base, error: 'SDOF bell narrower than three lines: the mode is not resolved' };
    }
    const fit = fitter.fit(bell.values);
    if (typeof fit === 'string') return { ...base, error: fit };
    // The correlation's frequency must be the peak's: a bell holding two modes (whose shapes the
    // sensors cannot tell apart) gives a beat between them, and a decay that is not damping.
    if (Math.abs(fit.frequency - peak.frequency) > bell.bandwidth) {
      return {
        ...base,
        error: `the correlation function's frequency ${fit.frequency.toFixed(4)} Hz is more than a half-power bandwidth (${bell.bandwidth.toFixed(4)} Hz) from the peak: the SDOF bell holds more than this mode`,
      };
    }
    return { ...base, frequency: fit.frequency, damping: fit.damping };
  });
}

export interface DecayFit {
  readonly frequency: number;
  readonly damping: number;
}

/**
 * The time-domain half of EFDD for one spectrum: a bell (one-sided density over the lines) →
 * correlation function by inverse FFT, normalised by r(0) and corrected for the window → decay
 * fit. Kept apart so the uncertainty (uncertainty.ts) refits replicate bells the same way.
 */
export class BellFitter {
  private readonly inverse: InverseRealSpectrum;
  private readonly rhoW: Float64Array | undefined;
  private readonly dt: number;
  private readonly upper: number;
  private readonly lower: number;

  constructor(spectrum: FddSpectrum, options: EfddOptions = {}) {
    this.upper = options.upperAmplitude ?? 0.9;
    this.lower = options.lowerAmplitude ?? 0.3;
    if (!(this.lower > 0 && this.upper > this.lower && this.upper <= 1)) {
      throw new InvalidOptionError(
        'lowerAmplitude',
        `need 0 < lowerAmplitude < upperAmplitude ≤ 1, got ${this.lower}, ${this.upper}`,
      );
    }
    this.inverse = new InverseRealSpectrum(spectrum.csd.nperseg);
    this.rhoW = options.correctWindow === false ? undefined : windowCorrelation(spectrum.csd.window);
    this.dt = 1 / spectrum.csd.fs;
  }

  /** Frequency and damping from a bell, or why there are none. */
  fit(bell: Float64Array): DecayFit | string {
    const n = this.inverse.n;
    const r = this.inverse.transform(bell);
    const r0 = r[0] as number;
    if (!(r0 > 0)) return 'empty SDOF bell';
    let limit = Math.floor(n / 2);
    for (let t = 0; t <= limit; t++) {
      const w = this.rhoW === undefined ? 1 : (this.rhoW[t] as number);
      if (w < MIN_WINDOW_CORRELATION) {
        limit = t - 1;
        break;
      }
      r[t] = (r[t] as number) / (r0 * w);
    }
    return decayFit(r, limit, this.dt, this.upper, this.lower);
  }
}

/** Zero crossings and extrema of r[0..limit] (normalised, r[0] = 1) → frequency and damping. */
export function decayFit(
  r: Float64Array,
  limit: number,
  dt: number,
  upper: number,
  lower: number,
): DecayFit | string {
  const crossings: number[] = [];
  const extremaT: number[] = [];
  const extremaA: number[] = [];
  let segmentStart = 0;
  let done = false;
  for (let t = 0; t < limit && !done; t++) {
    const a = r[t] as number;
    const b = r[t + 1] as number;
    if (a === 0 || a * b >= 0) continue;
    const tc = t + a / (a - b);
    // Extremum of the half-cycle since the previous crossing (the first one is r(0) itself).
    if (crossings.length > 0) {
      const ext = extremum(r, segmentStart, t);
      if (ext.amplitude < lower) done = true;
      else if (ext.amplitude <= upper) {
        extremaT.push(ext.time * dt);
        extremaA.push(Math.log(ext.amplitude));
      }
    }
    if (!done) crossings.push(tc * dt);
    segmentStart = t + 1;
  }
  if (extremaT.length < MIN_EXTREMA) {
    return `only ${extremaT.length} correlation extrema between ${lower} and ${upper} of the maximum (need ${MIN_EXTREMA}): the record is too short or the segment too coarse for this mode`;
  }
  if (crossings.length < 3) return 'fewer than three zero crossings in the correlation function';
  const halfPeriod = slope(
    crossings.map((_, i) => i),
    crossings,
  );
  const decay = -slope(extremaT, extremaA);
  if (!(halfPeriod > 0)) return 'zero crossings are not evenly spaced';
  const omegaD = Math.PI / halfPeriod;
  if (!(decay > 0)) return 'the correlation envelope does not decay';
  const x = decay / omegaD;
  const damping = x / Math.sqrt(1 + x * x);
  const frequency = omegaD / (2 * Math.PI) / Math.sqrt(1 - damping * damping);
  return { frequency, damping };
}

/** Largest |r| in [from, to] refined by a parabola through its neighbours. */
function extremum(r: Float64Array, from: number, to: number): { time: number; amplitude: number } {
  let best = from;
  for (let t = from + 1; t <= to; t++) if (Math.abs(r[t] as number) > Math.abs(r[best] as number)) best = t;
  if (best <= 0 || best >= r.length - 1) return { time: best, amplitude: Math.abs(r[best] as number) };
  const a = Math.abs(r[best - 1] as number);
  const b = Math.abs(r[best] as number);
  const c = Math.abs(r[best + 1] as number);
  const den = a - 2 * b + c;
  if (den >= 0) return { time: best, amplitude: b };
  const delta = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den));
  return { time: best + delta, amplitude: b - 0.25 * (a - c) * delta };
}

/** Least-squares slope of y against x. */
function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/** Inverse DFT of a one-sided real spectrum (lines 0..⌊n/2⌋) to n real samples. */
class InverseRealSpectrum {
  private readonly real: RealFft | undefined;
  private readonly blue: BluesteinFft | undefined;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  constructor(readonly n: number) {
    this.real = isPowerOfTwo(n) && n >= 2 ? new RealFft(n) : undefined;
    this.blue = this.real === undefined ? new BluesteinFft(n) : undefined;
    this.re = new Float64Array(this.real === undefined ? n : n / 2 + 1);
    this.im = new Float64Array(this.re.length);
  }
  /** Spectrum values (real, length ⌊n/2⌋+1) → time series (new array of n samples). */
  transform(spectrum: Float64Array): Float64Array {
    const n = this.n;
    const out = new Float64Array(n);
    this.im.fill(0);
    if (this.real !== undefined) {
      this.re.set(spectrum.subarray(0, n / 2 + 1));
      this.real.inverse(this.re, this.im, out);
      return out;
    }
    const half = Math.floor(n / 2);
    for (let k = 0; k < n; k++) this.re[k] = spectrum[k <= half ? k : n - k] as number;
    this.blue?.inverse(this.re, this.im);
    out.set(this.re);
    return out;
  }
}

/** Normalised linear autocorrelation of the window, ρ_w(τ) for τ = 0..n-1 (ρ_w(0) = 1). */
export function windowCorrelation(window: Float64Array): Float64Array {
  const n = window.length;
  const m = 2 * 2 ** Math.ceil(Math.log2(n));
  const fft = new RealFft(m);
  const x = new Float64Array(m);
  x.set(window);
  const re = new Float64Array(m / 2 + 1);
  const im = new Float64Array(m / 2 + 1);
  fft.forward(x, re, im);
  for (let k = 0; k < re.length; k++) {
    re[k] = (re[k] as number) ** 2 + (im[k] as number) ** 2;
    im[k] = 0;
  }
  fft.inverse(re, im, x);
  const r0 = x[0] as number;
  return Float64Array.from({ length: n }, (_, t) => (x[t] as number) / r0);
}
