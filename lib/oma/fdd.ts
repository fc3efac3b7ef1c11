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

/** FDD modes from picked peaks: interpolated frequency, shape from the singular vector. */
export function fddModes(spectrum: FddSpectrum, peaks: readonly SpectralPeak[], macThreshold = 0.8): Mode[] {
  return peaks.map((p) => {
    const shape = shapeAt(spectrum, p.line, p.singularValue - 1);
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
