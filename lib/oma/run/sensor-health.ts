import type { Checkpoint } from '../control.js';
import type { Diagnostic } from '../modal/diagnostics.js';
import { type ChannelStats, channelStats } from '../signal/channel-stats.js';

/**
 * The sensor check of a record, before any analysis: every channel's statistics in O(N)
 * (signal/channel-stats.ts), judged alone and against the other channels. Each finding is a
 * diagnostic naming the channel, the evidence and a fix:
 *
 *  - dead: a constant channel (std = 0, or 10⁻⁶ of the median channel's: a stuck or unplugged
 *    sensor reads its offset and the ADC's last bit at most). Left out of the analysis;
 *  - clipped: ≥ 0.1 % of the samples at the channel's largest or smallest value — for a
 *    continuous random signal one sample each (saturation of the sensor or the logger's range);
 *  - spikes: samples ≥ 8 robust σ from the median and ≥ 6 σ from their neighbours (a Gaussian
 *    sample beyond 8σ has probability 10⁻¹⁵; a real transient is smooth at the sampling rate);
 *  - dropouts: ≥ 0.1 % of the samples in runs of ≥ max(8, 0.1·fs) identical values inside the
 *    range (the logger repeating its last value);
 *  - step: the mean of the blocks after some block differs from the mean before by ≥ 0.2 σ and
 *    ≥ 8× the block means' own scatter, after their linear trend (detrending removes) is taken out;
 *  - noisy: the level near the Nyquist frequency, std(Δ³x) (the third difference is a high-pass
 *    of gain (2 sin(πf/fs))³: √20·σ for white noise, far less for a response sampled above its
 *    modes), ≥ 5× the other channels' median, and the roughness std(Δ³x)/(√20·std(x)) ≥ 1.5×
 *    theirs (so it is not merely a louder channel): a noise floor far above the others';
 *  - level: RMS ≥ 30× or ≤ 1/30 of the other channels' median (a wrong gain or unit);
 *  - non-stationary: 8 blocks' RMS, each divided by the median over the channels of that
 *    block's RMS (which removes changes of the excitation felt by all sensors), varying by ≥ 2×
 *    (a gain change, a loose mount); the excitation itself varying ≥ 4× between blocks is
 *    reported once for the record (info: OMA assumes stationary excitation).
 */
export interface SensorCheck {
  readonly stats: readonly ChannelStats[];
  /** Channels found dead (0-based). */
  readonly dead: readonly number[];
  readonly diagnostics: readonly Diagnostic[];
}

const CLIP_SHARE = 1e-3;
const DROPOUT_SHARE = 1e-3;
const DEAD_RATIO = 1e-6;
const STEP_SIGMA = 0.2;
const NOISY_LEVEL = 5;
const NOISY_ROUGHNESS = 1.5;
const LEVEL_RATIO = 30;
const GAIN_CHANGE = 2;
const EXCITATION_CHANGE = 4;
const STATIONARITY_BLOCKS = 8;

export async function checkSensors(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  names: readonly string[] = [],
  checkpoint?: Checkpoint,
): Promise<SensorCheck> {
  const minRun = Math.max(8, Math.round(0.1 * fs));
  const stats: ChannelStats[] = [];
  for (const [c, x] of channels.entries()) {
    await checkpoint?.tick(c / channels.length, 'checking the sensors');
    stats.push(channelStats(x, { minRun }));
  }
  const out: Diagnostic[] = [];
  const label = (c: number): string =>
    names[c] === undefined ? `channel ${c}` : `channel '${names[c]}' (${c})`;
  const at = (c: number): Pick<Diagnostic, 'channel' | 'channel_name'> => ({
    channel: c,
    ...(names[c] === undefined ? {} : { channel_name: names[c] }),
  });
  const stds = stats.map((s) => s.std);
  const dead: number[] = [];
  stats.forEach((s, c) => {
    const others = median(stds.filter((_, k) => k !== c && stds[k] !== 0));
    if (s.std === 0 || (others > 0 && s.std < DEAD_RATIO * others)) {
      dead.push(c);
      out.push({
        code: 'CHANNEL_DEAD',
        severity: 'warning',
        message: `${label(c)} is constant (${s.std === 0 ? `every sample ${round(s.mean)}` : `std ${s.std.toExponential(2)}, the others' median ${others.toExponential(2)}`}): a dead or unplugged sensor`,
        fix: 'check the sensor and its cable; the channel is left out of the analysis',
        ...at(c),
        evidence: { std: s.std, value: round(s.mean) },
      });
    }
  });
  const alive = stats.map((_, c) => c).filter((c) => !dead.includes(c));
  const roughness = stats.map((s) => (s.std > 0 ? s.diff3Std / (Math.sqrt(20) * s.std) : 0));
  for (const c of alive) {
    const s = stats[c] as ChannelStats;
    const n = s.samples;
    const railShare = (s.atMax + s.atMin) / n;
    if (railShare >= CLIP_SHARE && Math.max(s.atMax, s.atMin) >= 5) {
      out.push({
        code: 'CHANNEL_CLIPPED',
        severity: 'warning',
        message: `${label(c)} is clipped: ${pct(railShare)} of its samples sit at its extremes (${round(s.min)}, ${round(s.max)}; ${round((s.max - s.median) / s.robustStd)} robust σ)`,
        fix: 'raise the sensor or logger range; peaks above the rails are lost and add harmonics of the response',
        ...at(c),
        evidence: {
          share_at_rails: round(railShare),
          at_max: s.atMax,
          at_min: s.atMin,
          max: s.max,
          min: s.min,
        },
      });
    }
    if (s.spikes > 0) {
      out.push({
        code: 'CHANNEL_SPIKES',
        severity: 'warning',
        message: `${label(c)} has ${s.spikes} spike${s.spikes > 1 ? 's' : ''}, the largest ${Math.round(s.largestSpike)} robust σ from its median`,
        fix: 'remove or interpolate the spikes (a loose connector, electrical interference), or exclude the channel',
        ...at(c),
        evidence: { spikes: s.spikes, largest_sigma: round(s.largestSpike) },
      });
    }
    if (s.flatSamples >= DROPOUT_SHARE * n) {
      out.push({
        code: 'CHANNEL_DROPOUTS',
        severity: 'warning',
        message: `${label(c)} repeats its value in ${s.flatRuns} run${s.flatRuns > 1 ? 's' : ''} of ≥ ${minRun} samples (${pct(s.flatSamples / n)} of the record): dropouts`,
        fix: 'cut the record around the dropouts, or exclude the channel',
        ...at(c),
        evidence: { runs: s.flatRuns, share: round(s.flatSamples / n), min_run: minRun },
      });
    }
    const step = largestStep(s.blockMeans);
    if (step.size >= STEP_SIGMA * s.robustStd && step.size >= 8 * step.noise) {
      out.push({
        code: 'CHANNEL_STEP',
        severity: 'warning',
        message: `${label(c)} changes its mean by ${round(step.size / s.robustStd)} σ about ${pct(step.at)} into the record`,
        fix: 'an offset jump (a knocked sensor, a logger restart): analyse the parts separately, or exclude the channel',
        ...at(c),
        evidence: { step_sigma: round(step.size / s.robustStd), at_fraction: round(step.at) },
      });
    }
  }
  if (alive.length >= 3) {
    for (const c of alive) {
      const others = alive.filter((k) => k !== c);
      const r = roughness[c] as number;
      const rOthers = median(others.map((k) => roughness[k] as number));
      const hf = (stats[c] as ChannelStats).diff3Std;
      const hfOthers = median(others.map((k) => (stats[k] as ChannelStats).diff3Std));
      if (hf >= NOISY_LEVEL * hfOthers && r >= NOISY_ROUGHNESS * rOthers) {
        out.push({
          code: 'CHANNEL_NOISY',
          severity: 'warning',
          message: `${label(c)} is far noisier than the others: its level near the Nyquist frequency is ${round(hf / hfOthers)}× their median, its roughness ${round(r)} against their ${round(rOthers)} (1 = white noise)`,
          fix: 'check the sensor, its mounting and cable; exclude the channel if its modes look wrong',
          ...at(c),
          evidence: { hf_ratio: round(hf / hfOthers), roughness: round(r), others_roughness: round(rOthers) },
        });
      }
      const level = (stds[c] as number) / median(others.map((k) => stds[k] as number));
      if (level >= LEVEL_RATIO || level <= 1 / LEVEL_RATIO) {
        out.push({
          code: 'CHANNEL_LEVEL',
          severity: 'warning',
          message: `${label(c)} is ${level >= 1 ? `${round(level)}× louder` : `${round(1 / level)}× quieter`} than the other channels' median RMS`,
          fix: 'check its gain and unit (a wrong sensitivity, g against m/s²)',
          ...at(c),
          evidence: { rms_ratio: round(level) },
        });
      }
    }
    out.push(...stationarity(stats, alive, label, at));
  }
  return { stats, dead, diagnostics: out };
}

/** Block RMS against the median channel's, per channel; and the common level over the record. */
function stationarity(
  stats: readonly ChannelStats[],
  alive: readonly number[],
  label: (c: number) => string,
  at: (c: number) => Pick<Diagnostic, 'channel' | 'channel_name'>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const rms = alive.map((c) => coarse((stats[c] as ChannelStats).blockStds));
  const blocks = rms[0]?.length ?? 0;
  if (blocks < 4) return out;
  const common = Array.from({ length: blocks }, (_, b) => median(rms.map((r) => r[b] as number)));
  alive.forEach((c, i) => {
    const ratio = (rms[i] as number[]).map((v, b) => v / (common[b] as number));
    const change = Math.max(...ratio) / Math.min(...ratio);
    if (change >= GAIN_CHANGE) {
      out.push({
        code: 'NONSTATIONARY',
        severity: 'warning',
        message: `${label(c)} changes its level by ${round(change)}× during the record, unlike the other channels`,
        fix: 'a gain change or a loose mount: analyse the parts separately, or exclude the channel',
        ...at(c),
        evidence: { level_change: round(change), blocks },
      });
    }
  });
  const change = Math.max(...common) / Math.min(...common);
  if (change >= EXCITATION_CHANGE) {
    out.push({
      code: 'NONSTATIONARY',
      severity: 'info',
      message: `the response level of every channel changes by ${round(change)}× during the record (${blocks} blocks)`,
      fix: 'OMA assumes stationary excitation: check for transients (traffic, machinery starting) and analyse steady stretches',
      evidence: { level_change: round(change), blocks },
    });
  }
  return out;
}

/** 32 block RMS values → 8 (RMS of each group of 4). */
function coarse(blockStds: Float64Array): number[] {
  const group = Math.max(1, Math.floor(blockStds.length / STATIONARITY_BLOCKS));
  const out: number[] = [];
  for (let b = 0; b + group <= blockStds.length; b += group) {
    let s = 0;
    for (let k = b; k < b + group; k++) s += (blockStds[k] as number) ** 2;
    out.push(Math.sqrt(s / group));
  }
  return out;
}

/**
 * The largest jump of the mean between the blocks before and after a boundary, after the block
 * means' least-squares line is removed (a drift is no step), with the block means' own scatter
 * (robust std of their successive differences over √2).
 */
function largestStep(means: Float64Array): { size: number; at: number; noise: number } {
  const b = means.length;
  if (b < 4) return { size: 0, at: 0, noise: Number.POSITIVE_INFINITY };
  const tMean = (b - 1) / 2;
  let my = 0;
  for (const v of means) my += v;
  my /= b;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < b; k++) {
    sxy += (k - tMean) * ((means[k] as number) - my);
    sxx += (k - tMean) ** 2;
  }
  const slope = sxy / sxx;
  const r = Float64Array.from(means, (v, k) => v - my - slope * (k - tMean));
  let total = 0;
  for (const v of r) total += v;
  let before = 0;
  let size = 0;
  let at = 0;
  for (let k = 1; k < b; k++) {
    before += r[k - 1] as number;
    const d = Math.abs((total - before) / (b - k) - before / k);
    if (d > size) {
      size = d;
      at = k / b;
    }
  }
  // The scatter from the raw block means: their successive differences are the block noise
  // (plus a drift's slope, which only makes the test stricter) and a single step moves one of
  // them only; the detrended ones would carry the slope a step leaves in the line fit.
  const diffs = Array.from({ length: b - 1 }, (_, k) =>
    Math.abs((means[k + 1] as number) - (means[k] as number)),
  );
  const noise = (1.4826 * median(diffs)) / Math.SQRT2;
  return { size, at, noise };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? (s[h] as number) : 0.5 * ((s[h - 1] as number) + (s[h] as number));
}

function round(v: number): number {
  return Number(v.toPrecision(3));
}

function pct(v: number): string {
  return `${Number((100 * v).toPrecision(2))} %`;
}
