import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import { nextPowerOfTwo, RealFft } from './fft.js';

/**
 * Output correlation matrices R_k = E[y_{t+k} y_{ref,t}ᵀ] for lags k = 0..maxLag, estimated
 * without bias as R_k[i][j] = 1/(N-k) Σ_{t=0}^{N-1-k} y_i[t+k] y_j[t] (Peeters & De Roeck 1999,
 * "Reference-based stochastic subspace identification for output-only modal analysis", MSSP 13,
 * eq. 5) — computed exactly by FFT in blocks, never forming a Hankel data matrix.
 *
 * Block scheme (overlap-add of partial sums): the record is cut into blocks of B samples; for
 * block b the reference channel is transformed as its B samples zero-padded to M ≥ B + maxLag
 * ("short"), every channel as its B + maxLag samples from the same start ("long"). The circular
 * cross-correlation IFFT(conj(Short_j)·Long_i) at lags 0..maxLag then equals
 * Σ_{t in block} y_j[t] y_i[t+k] with no wrap-around. Spectra of all blocks are summed per pair
 * and inverted once per pair at the end. Each channel is transformed once (long) and each
 * reference once more (short) per block; memory is O(pairs·M), independent of N.
 */
export interface CorrelationOptions {
  /** Reference channel indices (columns of R). @default all channels */
  readonly references?: readonly number[];
  /**
   * Also keep the sums of this many consecutive, non-overlapping blocks of the record (whole FFT
   * blocks each, so at most ⌈N/B⌉): the samples of the correlations' covariance that SSI's
   * uncertainty propagation needs (Reynders, Pintelon & De Roeck 2008, §4). @default 1 (none kept)
   */
  readonly blocks?: number;
}

export interface OutputCorrelations {
  readonly channels: number;
  readonly references: readonly number[];
  readonly maxLag: number;
  /** R_k[i][j] at data[(k·l + i)·r + j]. */
  readonly data: Float64Array;
  /**
   * With `blocks` > 1: block g's raw sums Σ_{t in g, t+k<N} y_i[t+k] y_j[t] at
   * blockSums[((g·(maxLag+1) + k)·l + i)·r + j], so that R_k = Σ_g sums / (N − k).
   */
  readonly blockSums?: Float64Array;
  /** With `blocks` > 1: the first sample of each block, and N at the end (length blocks + 1). */
  readonly blockStarts?: Int32Array;
}

export async function outputCorrelations(
  channels: readonly (Float64Array | Float32Array)[],
  maxLag: number,
  options: CorrelationOptions = {},
  control: RunControl | Checkpoint = {},
): Promise<OutputCorrelations> {
  const l = channels.length;
  const n = channels[0]?.length ?? 0;
  const refs = options.references ?? Array.from({ length: l }, (_, i) => i);
  for (const j of refs) {
    if (!Number.isInteger(j) || j < 0 || j >= l)
      throw new InvalidOptionError('references', `no channel ${j}`);
  }
  if (!Number.isInteger(maxLag) || maxLag < 1)
    throw new InvalidOptionError('maxLag', `maxLag must be ≥ 1, got ${maxLag}`);
  if (n <= maxLag + 1)
    throw new InsufficientDataError(`${n} samples are too few for correlations up to lag ${maxLag}`);
  const r = refs.length;
  const checkpoint = toCheckpoint(control);
  const wanted = Math.max(1, Math.floor(options.blocks ?? 1));
  let m = Math.max(256, nextPowerOfTwo(8 * (maxLag + 1)));
  // Shorter FFT blocks when the covariance blocks asked for would be shorter than one of them.
  while (m > 2 * (maxLag + 1) && Math.ceil(n / (m - maxLag)) < wanted) m /= 2;
  const block = m - maxLag;
  const bins = m / 2 + 1;
  const fft = new RealFft(m);
  const buffer = new Float64Array(m);
  const longRe = new Float64Array(l * bins);
  const longIm = new Float64Array(l * bins);
  const shortRe = new Float64Array(r * bins);
  const shortIm = new Float64Array(r * bins);
  const accRe = new Float64Array(l * r * bins);
  const accIm = new Float64Array(l * r * bins);
  const outRe = new Float64Array(bins);
  const outIm = new Float64Array(bins);
  const blocks = Math.ceil(n / block);
  // Covariance blocks: groups of consecutive FFT blocks, inverted to lags at each group's end.
  const groups = Math.min(blocks, wanted);
  const groupEnd = (g: number): number => Math.floor(((g + 1) * blocks) / groups);
  const stride = (maxLag + 1) * l * r;
  const sums = new Float64Array(stride);
  const blockSums = groups > 1 ? new Float64Array(groups * stride) : undefined;
  const blockStarts = new Int32Array(groups + 1);
  let group = 0;

  const transform = (
    x: Float64Array | Float32Array,
    start: number,
    len: number,
    re: Float64Array,
    im: Float64Array,
    at: number,
  ): void => {
    buffer.fill(0);
    const end = Math.min(n, start + len);
    for (let t = start; t < end; t++) buffer[t - start] = x[t] as number;
    fft.forward(buffer, outRe, outIm);
    re.set(outRe, at);
    im.set(outIm, at);
  };

  for (let b = 0; b < blocks; b++) {
    await checkpoint.tick((0.95 * b) / blocks, 'output correlations');
    const start = b * block;
    for (let i = 0; i < l; i++)
      transform(channels[i] as Float64Array, start, block + maxLag, longRe, longIm, i * bins);
    for (let j = 0; j < r; j++) {
      transform(channels[refs[j] as number] as Float64Array, start, block, shortRe, shortIm, j * bins);
    }
    // acc_ij += conj(Short_j) · Long_i
    for (let i = 0; i < l; i++) {
      const li = i * bins;
      for (let j = 0; j < r; j++) {
        const sj = j * bins;
        const a = (i * r + j) * bins;
        for (let k = 0; k < bins; k++) {
          const xr = longRe[li + k] as number;
          const xi = longIm[li + k] as number;
          const yr = shortRe[sj + k] as number;
          const yi = shortIm[sj + k] as number;
          accRe[a + k] = (accRe[a + k] as number) + yr * xr + yi * xi;
          accIm[a + k] = (accIm[a + k] as number) + yr * xi - yi * xr;
        }
      }
    }
    if (b + 1 === groupEnd(group)) {
      // The group's lags; the sums of all groups are the record's.
      const at = group * stride;
      for (let i = 0; i < l; i++) {
        for (let j = 0; j < r; j++) {
          const a = (i * r + j) * bins;
          outRe.set(accRe.subarray(a, a + bins));
          outIm.set(accIm.subarray(a, a + bins));
          fft.inverse(outRe, outIm, buffer);
          for (let k = 0; k <= maxLag; k++) {
            const v = buffer[k] as number;
            const idx = (k * l + i) * r + j;
            sums[idx] = (sums[idx] as number) + v;
            if (blockSums !== undefined) blockSums[at + idx] = v;
          }
        }
      }
      accRe.fill(0);
      accIm.fill(0);
      group++;
      blockStarts[group] = Math.min(n, (b + 1) * block);
    }
  }
  const data = new Float64Array(stride);
  for (let k = 0; k <= maxLag; k++) {
    for (let c = 0; c < l * r; c++) data[k * l * r + c] = (sums[k * l * r + c] as number) / (n - k);
  }
  checkpoint.report(1, 'output correlations done');
  return {
    channels: l,
    references: refs,
    maxLag,
    data,
    ...(blockSums === undefined ? {} : { blockSums, blockStarts }),
  };
}
