import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import { DEFAULT_OVERLAP } from './defaults.js';
import { BluesteinFft, isPowerOfTwo, RealFft } from './fft.js';

/**
 * Cross-spectral density matrix by Welch's averaged modified periodograms (Welch 1967; Bendat &
 * Piersol, Random Data, 4th ed., §11.5): each channel's segment is mean-removed, windowed and
 * transformed once; every channel pair's product X_i X_j* is accumulated; the one-sided density
 * G_ij(f) = 2/(fs Σw²) · mean over segments (factor 1 at DC and Nyquist) — the scaling of
 * scipy.signal.csd(x_j, x_i, scaling='density').
 *
 * Storage: the Hermitian matrix is kept as its lower triangle i ≥ j, pair p = i(i+1)/2 + j, each
 * pair's real and imaginary parts contiguous over frequency lines (`re[p*lines + k]`).
 */
export interface WelchOptions {
  /** Segment length in samples (any length ≥ 8; powers of two are fastest). */
  readonly nperseg: number;
  /** Overlap as a fraction of the segment. @default 0.5 */
  readonly overlap?: number;
  /** @default 'hann' */
  readonly window?: 'hann' | 'rectangular';
  /** Remove each segment's mean before windowing. @default true */
  readonly detrendSegments?: boolean;
}

export interface CrossSpectralDensity {
  readonly fs: number;
  readonly channels: number;
  readonly nperseg: number;
  readonly segments: number;
  /** Frequency of each line, k·fs/nperseg. */
  readonly frequencies: Float64Array;
  /** Lower-triangle pairs × lines, real parts. */
  readonly re: Float64Array;
  /** Lower-triangle pairs × lines, imaginary parts. */
  readonly im: Float64Array;
  /** The analysis window (for EFDD's window-bias correction). */
  readonly window: Float64Array;
}

/** Index of pair (i, j), i ≥ j, in the lower-triangle order. */
export function pairIndex(i: number, j: number): number {
  return i >= j ? (i * (i + 1)) / 2 + j : (j * (j + 1)) / 2 + i;
}

export function makeWindow(kind: 'hann' | 'rectangular', n: number): Float64Array {
  const w = new Float64Array(n);
  // Periodic Hann (the DFT-even form used for spectral analysis).
  for (let i = 0; i < n; i++) w[i] = kind === 'hann' ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n) : 1;
  return w;
}

/** A real transform of any length: radix-2 when possible, Bluestein otherwise. */
export class AnyRealFft {
  private readonly pow2: RealFft | undefined;
  private readonly blue: BluesteinFft | undefined;
  private readonly bi: Float64Array;
  private readonly br: Float64Array;
  constructor(readonly n: number) {
    this.pow2 = isPowerOfTwo(n) && n >= 2 ? new RealFft(n) : undefined;
    this.blue = this.pow2 === undefined ? new BluesteinFft(n) : undefined;
    this.br = new Float64Array(this.pow2 === undefined ? n : 0);
    this.bi = new Float64Array(this.pow2 === undefined ? n : 0);
  }
  forward(x: Float64Array, re: Float64Array, im: Float64Array): void {
    if (this.pow2 !== undefined) {
      this.pow2.forward(x, re, im);
      return;
    }
    this.br.set(x.subarray(0, this.n));
    this.bi.fill(0);
    this.blue?.forward(this.br, this.bi);
    re.set(this.br.subarray(0, re.length));
    im.set(this.bi.subarray(0, im.length));
  }
}

/** Welch CSD matrix of equally long channels sampled at fs. */
export async function welchCsd(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  options: WelchOptions,
  control: RunControl | Checkpoint = {},
): Promise<CrossSpectralDensity> {
  const l = channels.length;
  const n = channels[0]?.length ?? 0;
  const { nperseg } = options;
  if (l < 1) throw new InsufficientDataError('Welch spectra need at least one channel');
  if (!Number.isInteger(nperseg) || nperseg < 8) {
    throw new InvalidOptionError('nperseg', `segment length must be an integer ≥ 8, got ${nperseg}`);
  }
  if (n < nperseg) {
    throw new InsufficientDataError(`record of ${n} samples is shorter than one Welch segment (${nperseg})`);
  }
  const overlap = options.overlap ?? DEFAULT_OVERLAP;
  if (!(overlap >= 0 && overlap < 1))
    throw new InvalidOptionError('overlap', `overlap must be in [0, 1), got ${overlap}`);
  const step = Math.max(1, nperseg - Math.floor(overlap * nperseg));
  const segments = Math.floor((n - nperseg) / step) + 1;
  const lines = Math.floor(nperseg / 2) + 1;
  const pairs = (l * (l + 1)) / 2;
  const window = makeWindow(options.window ?? 'hann', nperseg);
  const detrend = options.detrendSegments ?? true;
  const fft = new AnyRealFft(nperseg);
  const seg = new Float64Array(nperseg);
  const xr = new Float64Array(l * lines);
  const xi = new Float64Array(l * lines);
  const re = new Float64Array(pairs * lines);
  const im = new Float64Array(pairs * lines);
  const outRe = new Float64Array(lines);
  const outIm = new Float64Array(lines);
  const checkpoint = toCheckpoint(control);

  for (let s = 0; s < segments; s++) {
    await checkpoint.tick(s / segments, 'cross-spectral density');
    const start = s * step;
    for (let c = 0; c < l; c++) {
      const x = channels[c] as Float64Array | Float32Array;
      let mean = 0;
      if (detrend) {
        for (let i = 0; i < nperseg; i++) mean += x[start + i] as number;
        mean /= nperseg;
      }
      for (let i = 0; i < nperseg; i++) seg[i] = ((x[start + i] as number) - mean) * (window[i] as number);
      fft.forward(seg, outRe, outIm);
      xr.set(outRe, c * lines);
      xi.set(outIm, c * lines);
    }
    accumulatePairs(xr, xi, l, lines, re, im);
  }
  // Density scaling, one-sided.
  let w2 = 0;
  for (const w of window) w2 += w * w;
  const scale = 1 / (fs * w2 * segments);
  const nyquistLine = nperseg % 2 === 0 ? lines - 1 : -1;
  for (let p = 0; p < pairs; p++) {
    const base = p * lines;
    for (let k = 0; k < lines; k++) {
      const f = k === 0 || k === nyquistLine ? scale : 2 * scale;
      re[base + k] = (re[base + k] as number) * f;
      im[base + k] = (im[base + k] as number) * f;
    }
  }
  const frequencies = Float64Array.from({ length: lines }, (_, k) => (k * fs) / nperseg);
  checkpoint.report(1, 'cross-spectral density done');
  return { fs, channels: l, nperseg, segments, frequencies, re, im, window };
}

/** re/im[pair(i,j)] += X_i X_j* for all i ≥ j. */
function accumulatePairs(
  xr: Float64Array,
  xi: Float64Array,
  l: number,
  lines: number,
  re: Float64Array,
  im: Float64Array,
): void {
  let p = 0;
  for (let i = 0; i < l; i++) {
    const oi = i * lines;
    for (let j = 0; j <= i; j++, p++) {
      const oj = j * lines;
      const op = p * lines;
      for (let k = 0; k < lines; k++) {
        const ar = xr[oi + k] as number;
        const ai = xi[oi + k] as number;
        const br = xr[oj + k] as number;
        const bi = xi[oj + k] as number;
        re[op + k] = (re[op + k] as number) + ar * br + ai * bi;
        im[op + k] = (im[op + k] as number) + ai * br - ar * bi;
      }
    }
  }
}

/** Fills the full Hermitian matrix (row-major l×l) of line k from the packed CSD. */
export function spectralMatrixAt(
  csd: CrossSpectralDensity,
  k: number,
  ar: Float64Array,
  ai: Float64Array,
): void {
  const l = csd.channels;
  const lines = csd.frequencies.length;
  let p = 0;
  for (let i = 0; i < l; i++) {
    for (let j = 0; j <= i; j++, p++) {
      const r = csd.re[p * lines + k] as number;
      const m = csd.im[p * lines + k] as number;
      ar[i * l + j] = r;
      ai[i * l + j] = m;
      ar[j * l + i] = r;
      ai[j * l + i] = -m;
    }
  }
}
