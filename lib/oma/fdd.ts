import { halfPowerBandwidth, sdofBell } from './bell.js';
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
  /** Lines whose eigen-decomposition did not converge (values and vectors zero there). */
  readonly failedLines?: number;
}

export interface FddOptions extends WelchOptions, PeakOptions {}

export { type BellOptions, halfPowerBandwidth, type SdofBell, sdofBell } from './bell.js';

/** Welch CSD, then the singular values (all) and leading vectors (two) at every line. */
export async function fddSpectrum(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  welch: WelchOptions,
  control: RunControl | Checkpoint = {},
): Promise<FddSpectrum> {
  const checkpoint = toCheckpoint(control);
  const csd = await welchCsd(channels, fs, welch, checkpoint.child(0, 0.6));
  return decomposeSpectrum(csd, checkpoint.child(0.6, 1));
}

/** The singular values (all) and leading vectors (two) of a spectral matrix at every line. */
export async function decomposeSpectrum(
  csd: CrossSpectralDensity,
  control: RunControl | Checkpoint = {},
): Promise<FddSpectrum> {
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
  const svd = toCheckpoint(control);
  let failedLines = 0;
  for (let k = 0; k < lines; k++) {
    // One line costs O(l³): tick every line (a clock read) so even 100+ channels abort promptly;
    // progress is reported every 64 lines.
    await svd.tick((k & 63) === 0 ? k / lines : undefined, 'singular values of the spectral matrix');
    spectralMatrixAt(csd, k, ar, ai);
    if (!solver.decompose(ar, ai, lambda, vectorCount, vr, vi)) {
      // Leave the line zero (no peak, no coherent vector) rather than the previous line's result.
      failedLines++;
      continue;
    }
    for (let i = 0; i < l; i++) (values[i] as Float64Array)[k] = Math.max(0, lambda[i] as number);
    vectorRe.set(vr, k * vectorCount * l);
    vectorIm.set(vi, k * vectorCount * l);
  }
  svd.report(1, 'singular values done');
  return {
    csd,
    frequencies: csd.frequencies,
    values,
    vectorCount,
    vectorRe,
    vectorIm,
    ...(failedLines > 0 ? { failedLines } : {}),
  };
}

/** Shape vector i at line k as a ShapeVector view. */
export function shapeAt(s: FddSpectrum, k: number, i: number): { re: Float64Array; im: Float64Array } {
  const l = s.csd.channels;
  const at = (k * s.vectorCount + i) * l;
  return { re: s.vectorRe.subarray(at, at + l), im: s.vectorIm.subarray(at, at + l) };
}

/** FDD modes from picked peaks: interpolated frequency, shape from the singular vector. */
export function fddModes(spectrum: FddSpectrum, peaks: readonly SpectralPeak[], macThreshold = 0.8): Mode[] {
  return peaks.map((p) => {
    const shape = shapeAt(spectrum, p.shapeLine ?? p.line, p.singularValue - 1);
    const bell = sdofBell(spectrum, p, macThreshold);
    const hp = halfPowerBandwidth(spectrum.frequencies, bell.values, p.line);
    // The centre is used when it stays within a quarter bandwidth of the peak (close modes can
    // skew a bell's half-power points).
    const useCentre =
      Number.isFinite(hp.centre) && Math.abs(hp.centre - p.frequency) <= 0.5 * hp.damping * p.frequency;
    return {
      frequency: useCentre ? hp.centre : p.frequency,
      damping: hp.damping,
      shape: realShape(shape),
      mpc: modalPhaseCollinearity(shape),
      mpd: meanPhaseDeviation(shape),
      singularValue: p.singularValue,
    };
  });
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
