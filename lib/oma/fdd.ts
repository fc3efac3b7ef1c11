import { type Checkpoint, type RunControl, toCheckpoint } from './control.js';
import { HermitianEigenSolver } from './hermitian-eig.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from './modal.js';
import { type PeakOptions, pickPeaks, type SpectralPeak } from './peaks.js';
import type { Mode } from './results.js';
import { type CrossSpectralDensity, spectralMatrixAt, type WelchOptions, welchCsd } from './welch.js';

/**
 * Frequency Domain Decomposition (Brincker, Zhang & Andersen 2001, "Modal identification of
 * output-only systems using frequency domain decomposition", Smart Mater. Struct. 10): the
 * Welch cross-spectral density matrix G(f) is decomposed at every line, G = U S Uᴴ; near a mode
 * the first singular value is that mode's auto-spectrum and its singular vector the mode shape.
 * Closely spaced modes show in the second singular value.
 */
export interface FddSpectrum {
  readonly csd: CrossSpectralDensity;
  readonly frequencies: Float64Array;
  /** values[i][k]: i-th singular value at line k (descending in i). */
  readonly values: Float64Array[];
  /** Number of singular vectors kept per line (min(2, channels)). */
  readonly vectorCount: number;
  /** Vectors: re/im[(k·vectorCount + i)·channels + c] = component c of vector i at line k. */
  readonly vectorRe: Float64Array;
  readonly vectorIm: Float64Array;
}

export interface FddOptions extends WelchOptions, PeakOptions {}

/** Welch CSD, then the singular values (all) and leading vectors (two) at every line. */
export async function fddSpectrum(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  welch: WelchOptions,
  control: RunControl | Checkpoint = {},
): Promise<FddSpectrum> {
  const checkpoint = toCheckpoint(control);
  const csd = await welchCsd(channels, fs, welch, checkpoint.child(0, 0.6));
  const l = csd.channels;
  const lines = csd.frequencies.length;
  const vectorCount = Math.min(2, l);
  const values = Array.from({ length: l }, () => new Float64Array(lines));
  const vectorRe = new Float64Array(lines * vectorCount * l);
  const vectorIm = new Float64Array(lines * vectorCount * l);
  const solver = new HermitianEigenSolver(l);
  const ar = new Float64Array(l * l);
  const ai = new Float64Array(l * l);
  const lambda = new Float64Array(l);
  const vr = new Float64Array(vectorCount * l);
  const vi = new Float64Array(vectorCount * l);
  const svd = checkpoint.child(0.6, 1);
  for (let k = 0; k < lines; k++) {
    if ((k & 63) === 0) await svd.tick(k / lines, 'singular values of the spectral matrix');
    spectralMatrixAt(csd, k, ar, ai);
    solver.decompose(ar, ai, lambda, vectorCount, vr, vi);
    for (let i = 0; i < l; i++) (values[i] as Float64Array)[k] = Math.max(0, lambda[i] as number);
    vectorRe.set(vr, k * vectorCount * l);
    vectorIm.set(vi, k * vectorCount * l);
  }
  svd.report(1, 'singular values done');
  return { csd, frequencies: csd.frequencies, values, vectorCount, vectorRe, vectorIm };
}

/** Shape vector i at line k as a ShapeVector view. */
export function shapeAt(s: FddSpectrum, k: number, i: number): { re: Float64Array; im: Float64Array } {
  const l = s.csd.channels;
  const at = (k * s.vectorCount + i) * l;
  return { re: s.vectorRe.subarray(at, at + l), im: s.vectorIm.subarray(at, at + l) };
}

/**
 * Half-power bandwidth damping ζ ≈ (f₂ - f₁)/(2 f_peak) on a bell (a rough FDD estimate, biased
 * upwards by the spectral window; EFDD is the better estimate).
 */
export function halfPowerDamping(frequencies: Float64Array, bell: Float64Array, peak: number): number {
  const top = bell[peak] as number;
  if (!(top > 0)) return Number.NaN;
  const half = top / 2;
  let lo = peak;
  while (lo > 0 && (bell[lo] as number) > half) lo--;
  let hi = peak;
  while (hi < bell.length - 1 && (bell[hi] as number) > half) hi++;
  if ((bell[lo] as number) > half || (bell[hi] as number) > half) return Number.NaN;
  const interp = (a: number, b: number): number => {
    const ya = bell[a] as number;
    const yb = bell[b] as number;
    const t = (half - ya) / (yb - ya);
    return (frequencies[a] as number) + t * ((frequencies[b] as number) - (frequencies[a] as number));
  };
  const f1 = interp(lo, lo + 1);
  const f2 = interp(hi - 1, hi);
  const fp = frequencies[peak] as number;
  return fp > 0 ? (f2 - f1) / (2 * fp) : Number.NaN;
}

/** FDD modes from picked peaks: interpolated frequency, shape from the singular vector. */
export function fddModes(spectrum: FddSpectrum, peaks: readonly SpectralPeak[], macThreshold = 0.8): Mode[] {
  return peaks.map((p) => {
    const shape = shapeAt(spectrum, p.line, p.singularValue - 1);
    const bell = sdofBell(spectrum, p, macThreshold);
    return {
      frequency: p.frequency,
      damping: halfPowerDamping(spectrum.frequencies, bell.values, p.line),
      shape: realShape(shape),
      mpc: modalPhaseCollinearity(shape),
      mpd: meanPhaseDeviation(shape),
      singularValue: p.singularValue,
    };
  });
}

export interface SdofBell {
  /** The bell over all lines (zero outside [from, to]). */
  readonly values: Float64Array;
  readonly from: number;
  readonly to: number;
}

/**
 * The SDOF bell of a peak (Brincker, Ventura & Andersen 2001, "Damping estimation by frequency
 * domain decomposition", IMAC XIX): the lines around the peak where the peak's shape φ is still
 * one of the leading singular vectors, with that mode's auto-spectrum there.
 *
 * Walking out from the peak, at each line the leading two-dimensional singular subspace is
 * tested: the bell continues while |⟨u₁, φ⟩|² + |⟨u₂, φ⟩|² ≥ `macThreshold` (φ, u unit
 * vectors), and the bell value is the spectral density along φ within that subspace,
 * s₁|⟨u₁, φ⟩|² + s₂|⟨u₂, φ⟩|² — the projection of the spectral matrix on the mode shape of
 * Frequency-Spatial Domain Decomposition (Zhang, Wang & Tamura 2010, MSSP 24). For an isolated
 * mode this is the classical "singular value whose vector matches the peak" bell; where two
 * close modes' singular values cross, the individual vectors mix but their span does not, so
 * the bell continues through the crossing instead of being cut short.
 */
export function sdofBell(spectrum: FddSpectrum, peak: SpectralPeak, macThreshold: number): SdofBell {
  const lines = spectrum.frequencies.length;
  const values = new Float64Array(lines);
  const ref = shapeAt(spectrum, peak.line, peak.singularValue - 1);
  values[peak.line] = (spectrum.values[peak.singularValue - 1] as Float64Array)[peak.line] as number;
  const walk = (direction: 1 | -1): number => {
    let last = peak.line;
    for (let k = peak.line + direction; k >= 0 && k < lines; k += direction) {
      let inSpan = 0;
      let value = 0;
      for (let i = 0; i < spectrum.vectorCount; i++) {
        const m = macTo(ref, shapeAt(spectrum, k, i));
        inSpan += m;
        value += m * ((spectrum.values[i] as Float64Array)[k] as number);
      }
      if (inSpan < macThreshold) break;
      values[k] = value;
      last = k;
    }
    return last;
  };
  const to = walk(1);
  const from = walk(-1);
  return { values, from, to };
}

function macTo(a: { re: Float64Array; im: Float64Array }, b: { re: Float64Array; im: Float64Array }): number {
  let dr = 0;
  let di = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < a.re.length; c++) {
    const xr = a.re[c] as number;
    const xi = a.im[c] as number;
    const yr = b.re[c] as number;
    const yi = b.im[c] as number;
    dr += xr * yr + xi * yi;
    di += xr * yi - xi * yr;
    aa += xr * xr + xi * xi;
    bb += yr * yr + yi * yi;
  }
  return aa === 0 || bb === 0 ? 0 : (dr * dr + di * di) / (aa * bb);
}

/** Spectrum, peaks and modes in one call. */
export async function fdd(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  options: FddOptions,
  control: RunControl | Checkpoint = {},
): Promise<{ spectrum: FddSpectrum; peaks: SpectralPeak[]; modes: Mode[] }> {
  const spectrum = await fddSpectrum(channels, fs, options, control);
  const peaks = pickPeaks(spectrum, options);
  return { spectrum, peaks, modes: fddModes(spectrum, peaks) };
}
