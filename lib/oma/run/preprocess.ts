import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError, NonFiniteSampleError } from '../errors.js';
import type { ProvenanceStep } from '../io/dataset.js';
import { decimate } from '../signal/decimate.js';
import { DECIMATION_FILTER } from '../signal/defaults.js';
import { type DetrendMode, detrendInPlace } from '../signal/detrend.js';
import { butterworth, type FilterType } from '../signal/iir-design.js';
import { sosFiltFilt } from '../signal/sos-filter.js';
import { DEFAULT_FILTER_ORDER } from './defaults.js';
import { checkSensors, type SensorCheck } from './sensor-health.js';

/**
 * Preprocessing of a multichannel record, channel by channel (so the extra memory is a few
 * channel-lengths, whatever the channel count): remove the mean or linear trend, decimate by q
 * with the zero-phase anti-alias filter, then apply an optional zero-phase Butterworth filter at
 * the reduced rate (cheaper, and better conditioned than at the original rate). The input arrays
 * are not modified. Each step is recorded as provenance.
 */
export interface ButterworthFilterOptions {
  readonly type: FilterType;
  /** Hz; [low, high] for band-pass. */
  readonly cutoff: number | readonly [number, number];
  /** Prototype order (applied forward and backward, so the magnitude is squared). @default 4 */
  readonly order?: number;
}

export interface PreprocessOptions {
  /** @default 'linear' */
  readonly detrend?: DetrendMode;
  /** Integer decimation factor. @default 1 */
  readonly decimate?: number;
  readonly filter?: ButterworthFilterOptions;
  /** Check the raw channels first (sensor-health.ts: dead, clipped, spiky, …). @default false */
  readonly checkSensors?: boolean;
  /** Channel names, for the sensor check's diagnostics. */
  readonly channelNames?: readonly string[];
}

export interface PreprocessedRecord {
  readonly channels: Float64Array[];
  readonly fs: number;
  readonly provenance: ProvenanceStep[];
  /** The sensor check of the raw channels, when asked for. */
  readonly sensors?: SensorCheck;
}

export async function preprocessRecord(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  options: PreprocessOptions = {},
  control: RunControl | Checkpoint = {},
): Promise<PreprocessedRecord> {
  if (!(fs > 0)) throw new InvalidOptionError('fs', `sampling rate must be positive, got ${fs}`);
  if (channels.length === 0) throw new InsufficientDataError('the record has no channels');
  const n = channels[0]?.length ?? 0;
  if (channels.some((c) => c.length !== n))
    throw new InvalidOptionError('channels', 'all channels must have the same length');
  const q = options.decimate ?? 1;
  if (!Number.isInteger(q) || q < 1)
    throw new InvalidOptionError('decimate', `decimation factor must be an integer ≥ 1, got ${q}`);
  const detrend = options.detrend ?? 'linear';
  const newFs = fs / q;
  const filter = options.filter;
  const sections =
    filter === undefined
      ? undefined
      : butterworth({
          type: filter.type,
          cutoff: filter.cutoff,
          order: filter.order ?? DEFAULT_FILTER_ORDER,
          fs: newFs,
        });
  const checkpoint = toCheckpoint(control);
  const sensors =
    options.checkSensors === true
      ? await checkSensors(channels, fs, options.channelNames, checkpoint.child(0, 0.1))
      : undefined;
  const steps = checkpoint.child(sensors === undefined ? 0 : 0.1, 1);
  const out: Float64Array[] = [];
  for (const [i, channel] of channels.entries()) {
    await steps.tick(i / channels.length, `preprocessing channel ${i + 1} of ${channels.length}`);
    const x = new Float64Array(channel);
    const bad = firstNonFinite(x);
    if (bad >= 0) throw new NonFiniteSampleError(i, bad, x[bad] as number);
    detrendInPlace(x, detrend);
    let y = q > 1 ? decimate(x, q) : x;
    if (sections !== undefined) y = sosFiltFilt(sections, y);
    out.push(y);
  }
  checkpoint.report(1, 'preprocessing done');
  const provenance: ProvenanceStep[] = [{ step: 'detrend', mode: detrend }];
  if (q > 1)
    provenance.push({
      step: 'decimate',
      factor: q,
      filter: DECIMATION_FILTER.type,
      order: DECIMATION_FILTER.order,
      rippleDb: DECIMATION_FILTER.rippleDb,
      fsOut: newFs,
    });
  if (filter !== undefined) {
    provenance.push({
      step: 'butterworth',
      type: filter.type,
      cutoff: typeof filter.cutoff === 'number' ? filter.cutoff : [filter.cutoff[0], filter.cutoff[1]],
      order: filter.order ?? DEFAULT_FILTER_ORDER,
      zeroPhase: true,
    });
  }
  return { channels: out, fs: newFs, provenance, ...(sensors === undefined ? {} : { sensors }) };
}

/** Index of the first NaN or ±Infinity, or -1. */
function firstNonFinite(x: Float64Array): number {
  for (let i = 0; i < x.length; i++) {
    // x − x is 0 for finite x and NaN for NaN and ±Infinity: one subtraction per sample.
    const v = x[i] as number;
    if (v - v !== 0) return i;
  }
  return -1;
}
