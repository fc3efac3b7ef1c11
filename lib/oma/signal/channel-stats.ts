/**
 * Per-channel statistics for the sensor check (run/sensor-health.ts), in O(N): one pass for the
 * moments, extremes, first differences, runs of repeated values and block moments, a strided
 * subsample of at most 16 384 values for a robust centre and scale (median and 1.4826·MAD, the
 * MAD's consistency factor for Gaussian data; Rousseeuw & Croux 1993), and a second pass that
 * counts samples at the extremes and isolated spikes against that robust scale. No allocation
 * grows with N beyond the subsample.
 */
export interface ChannelStats {
  readonly samples: number;
  readonly mean: number;
  /** Standard deviation about the mean. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Samples at the largest and at the smallest value (within 1e-9 of the range). */
  readonly atMax: number;
  readonly atMin: number;
  /** Median of the subsample, and 1.4826 × its median absolute deviation. */
  readonly median: number;
  readonly robustStd: number;
  /**
   * Standard deviation of the third differences x_k − 3x_{k−1} + 3x_{k−2} − x_{k−3}: a high-pass
   * of order 3 (gain (2 sin(πf/fs))³), so for white noise √20·σ and for a response sampled well
   * above its modes far less — a measure of the sensor's noise floor near the Nyquist frequency.
   */
  readonly diff3Std: number;
  /** Spike events (runs of consecutive spike samples count once), and the largest in robust σ. */
  readonly spikes: number;
  readonly largestSpike: number;
  /** Runs of ≥ minRun identical values away from the extremes (dropouts), and their samples. */
  readonly flatRuns: number;
  readonly flatSamples: number;
  /** Mean and standard deviation of each of `blocks` consecutive blocks. */
  readonly blockMeans: Float64Array;
  readonly blockStds: Float64Array;
}

export interface ChannelStatsOptions {
  /** Shortest run of identical values that counts as a dropout. */
  readonly minRun: number;
  /** Blocks for the step and stationarity checks. @default 32 */
  readonly blocks?: number;
  /** Distance from the robust centre, in robust σ, beyond which an isolated sample is a spike. @default 8 */
  readonly spikeLevel?: number;
}

const SUBSAMPLE = 16_384;
/** A spike also stands out from the mean of its two neighbours by this many robust σ. */
const SPIKE_JUMP = 6;
const MAD_TO_STD = 1.4826;

export function channelStats(x: Float64Array | Float32Array, options: ChannelStatsOptions): ChannelStats {
  const n = x.length;
  const blocks = Math.max(1, Math.min(options.blocks ?? 32, Math.floor(n / 16)));
  const blockMeans = new Float64Array(blocks);
  const blockStds = new Float64Array(blocks);
  // Each block is copied into one Float64 buffer (3 samples of history in front) so that the loops
  // below read one array type only, whatever the channel's: a Float32Array/Float64Array mix makes
  // them polymorphic and twice as slow.
  const longest = Math.ceil(n / blocks) + 1;
  const buf = new Float64Array(longest + 3);
  const shift = n > 0 ? (x[0] as number) : 0;
  let s1 = 0;
  let s2 = 0;
  let d2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  // Runs of repeated values: kept as (value, length) while they are long enough; few in practice.
  const runs: { value: number; length: number }[] = [];
  let runValue = shift;
  let runLength = 0;
  const minRun = options.minRun;
  for (let b = 0; b < blocks; b++) {
    const from = Math.round((b * n) / blocks);
    const to = Math.round(((b + 1) * n) / blocks);
    const m = to - from;
    for (let k = 0; k < 3; k++) buf[k] = from - 3 + k >= 0 ? (x[from - 3 + k] as number) : shift;
    buf.set(x.subarray(from, to), 3);
    let b1 = 0;
    let b2 = 0;
    let lo = min;
    let hi = max;
    for (let i = 3; i < m + 3; i++) {
      const v = buf[i] as number;
      const c = v - shift;
      b1 += c;
      b2 += c * c;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const d = v - 3 * (buf[i - 1] as number) + 3 * (buf[i - 2] as number) - (buf[i - 3] as number);
      d2 += d * d;
      if (v === runValue) runLength++;
      else {
        if (runLength >= minRun && runs.length < 100_000) runs.push({ value: runValue, length: runLength });
        runValue = v;
        runLength = 1;
      }
    }
    min = lo;
    max = hi;
    s1 += b1;
    s2 += b2;
    const mean = b1 / m;
    blockMeans[b] = mean + shift;
    blockStds[b] = Math.sqrt(Math.max(0, b2 / m - mean * mean));
  }
  // The first three third differences reach before the record (filled with x₀): drop them.
  for (let i = 0; i < Math.min(3, n); i++) {
    const v = x[i] as number;
    const d =
      v - 3 * (i >= 1 ? (x[i - 1] as number) : shift) + 3 * (i >= 2 ? (x[i - 2] as number) : shift) - shift;
    d2 -= d * d;
  }
  if (runLength >= minRun) runs.push({ value: runValue, length: runLength });
  const mean = n > 0 ? s1 / n + shift : 0;
  const variance = n > 0 ? Math.max(0, s2 / n - (s1 / n) ** 2) : 0;
  const range = max - min;
  const tolerance = 1e-9 * range;
  let flatRuns = 0;
  let flatSamples = 0;
  for (const r of runs) {
    if (r.value >= max - tolerance || r.value <= min + tolerance) continue;
    flatRuns++;
    flatSamples += r.length;
  }
  const { median, robustStd } = robustScale(x);
  // Second pass: the rails and the spikes.
  let atMax = 0;
  let atMin = 0;
  let spikes = 0;
  let largest = 0;
  let inSpike = false;
  const top = range > 0 ? max - tolerance : Number.POSITIVE_INFINITY;
  const bottom = range > 0 ? min + tolerance : Number.NEGATIVE_INFINITY;
  const level = robustStd > 0 ? (options.spikeLevel ?? 8) * robustStd : Number.POSITIVE_INFINITY;
  const jump = SPIKE_JUMP * robustStd;
  for (let b = 0; b < blocks; b++) {
    const from = Math.round((b * n) / blocks);
    const to = Math.round(((b + 1) * n) / blocks);
    const m = to - from;
    buf.set(x.subarray(from, Math.min(n, to + 1)), 1);
    buf[0] = from > 0 ? (x[from - 1] as number) : (x[from] as number);
    if (to >= n) buf[m + 1] = buf[m] as number;
    for (let i = 1; i <= m; i++) {
      const v = buf[i] as number;
      if (v >= top) atMax++;
      else if (v <= bottom) atMin++;
      const off = Math.abs(v - median);
      let spike = false;
      if (off > level) {
        const before = buf[i - 1] as number;
        spike = Math.abs(v - 0.5 * (before + (buf[i + 1] as number))) > jump || Math.abs(v - before) > jump;
        if (spike && off / robustStd > largest) largest = off / robustStd;
      }
      if (spike && !inSpike) spikes++;
      inSpike = spike;
    }
  }
  return {
    samples: n,
    mean,
    std: Math.sqrt(variance),
    min,
    max,
    atMax,
    atMin,
    median,
    robustStd,
    diff3Std: n > 3 ? Math.sqrt(Math.max(0, d2) / (n - 3)) : 0,
    spikes,
    largestSpike: largest,
    flatRuns,
    flatSamples,
    blockMeans,
    blockStds,
  };
}

/** Median and 1.4826·MAD of a strided subsample (≤ 16 384 values). */
function robustScale(x: Float64Array | Float32Array): { median: number; robustStd: number } {
  const n = x.length;
  if (n === 0) return { median: 0, robustStd: 0 };
  const stride = Math.max(1, Math.ceil(n / SUBSAMPLE));
  const m = Math.ceil(n / stride);
  const sample = new Float64Array(m);
  for (let i = 0, j = 0; j < m; i += stride, j++) sample[j] = x[i] as number;
  sample.sort();
  const median = medianOfSorted(sample);
  for (let j = 0; j < m; j++) sample[j] = Math.abs((sample[j] as number) - median);
  sample.sort();
  return { median, robustStd: MAD_TO_STD * medianOfSorted(sample) };
}

function medianOfSorted(s: Float64Array): number {
  const h = s.length >> 1;
  return s.length % 2 === 1 ? (s[h] as number) : 0.5 * ((s[h - 1] as number) + (s[h] as number));
}
