import type { Checkpoint } from '../control.js';
import { pickPeaks } from '../fdd/peaks.js';
import { decomposeSpectrum } from '../fdd/spectrum.js';
import type { BandChoice } from '../modal/diagnostics.js';
import { type CrossSpectralDensity, welchCsd } from '../signal/welch.js';
import { DEFAULT_FMAX_HZ, defaultDecimation, defaultFmax } from './defaults.js';

/**
 * The band to analyse, from the data: where the spectrum holds coherent modal content above its
 * noise. A quick FDD look at the raw record — Welch with segments of 1024 samples (≤ N/16), 64 of
 * them spread over the record, at most 24 channels spread over the record's — and the engine's
 * own peak picker (significant against the Welch scatter, coherent shape, fdd/peaks.ts) up to
 * 0.4·fs. When that content ends below fs/10 (or none is seen), a second look with segments long
 * enough for ~512 lines below 2.5× its top (fs/10; ≤ 65 536, ≤ N/4) resolves a slow structure. The band's top is 1.25 × the highest peak (a margin over its bell and the anti-alias
 * filter's edge), rounded up to 2 significant digits, at most 0.4·fs; the decimation follows from
 * it (new Nyquist ≥ 2.5·fmax, defaults.ts). Without any peak, the old default min(0.4·fs, 25 Hz).
 *
 * A fixed 25 Hz cut the modes of a 30-storey frame above it (15 of 30 found) and made SSI's lags
 * too short for a 0.147 Hz fundamental at 100 Hz (no decimation); from the data the first band
 * holds all 30, the second is decimated to reach the fundamental.
 */
export interface BandScan {
  /** The highest coherent spectral peak up to 0.4·fs, Hz (undefined: none). */
  readonly top: number | undefined;
  /** Every peak found, Hz. */
  readonly peaks: readonly number[];
  readonly resolution: number;
}

const SCAN_SEGMENT = 1024;
const SCAN_SEGMENTS = 64;
const SCAN_CHANNELS = 24;
const MARGIN = 1.25;

export async function scanBand(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  checkpoint?: Checkpoint,
): Promise<BandScan> {
  const n = channels[0]?.length ?? 0;
  let nperseg = SCAN_SEGMENT;
  while (nperseg > 64 && nperseg * 16 > n) nperseg /= 2;
  if (n < 4 * nperseg) return { top: undefined, peaks: [], resolution: fs / nperseg };
  const step = Math.max(1, channels.length / SCAN_CHANNELS);
  const picked: (Float64Array | Float32Array)[] = [];
  for (let c = 0; c < channels.length && picked.length < SCAN_CHANNELS; c += step) {
    const x = channels[Math.floor(c)];
    if (x !== undefined) picked.push(x);
  }
  const first = await look(picked, fs, nperseg, 0.4 * fs, checkpoint?.child(0, 0.5));
  if (first.top !== undefined && first.top > 0.1 * fs) return first;
  // Content far below the sampling rate (a tall tower at 100 Hz), or none seen: the lines of the
  // first look may be too coarse for the modes, so look again with longer segments, below 2.5×
  // the top (below fs/10 when there was none).
  const upTo = Math.min(0.4 * fs, first.top === undefined ? 0.1 * fs : 2.5 * first.top);
  let longer = nperseg;
  while (longer < 65_536 && longer * 4 <= n && fs / longer > upTo / 512) longer *= 2;
  if (longer === nperseg) return first;
  const second = await look(picked, fs, longer, upTo, checkpoint?.child(0.5, 1));
  return second.top === undefined ? first : second;
}

/** One look: Welch over up to 64 spread segments of `nperseg`, decomposed and picked below `upTo`. */
async function look(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  nperseg: number,
  upTo: number,
  checkpoint?: Checkpoint,
): Promise<BandScan> {
  const full = await welchCsd(
    channels,
    fs,
    { nperseg, maxSegments: SCAN_SEGMENTS },
    checkpoint?.child(0, 0.6),
  );
  const csd = belowLine(full, Math.min(full.frequencies.length, Math.ceil((1.1 * upTo * nperseg) / fs) + 2));
  const spectrum = await decomposeSpectrum(csd, checkpoint?.child(0.6, 1));
  const peaks = pickPeaks(spectrum, { bands: [[0, upTo]] }).map((p) => p.frequency);
  return { top: peaks.length > 0 ? Math.max(...peaks) : undefined, peaks, resolution: fs / nperseg };
}

/** The spectral matrix's first `lines` lines (the decomposition then costs only those). */
function belowLine(csd: CrossSpectralDensity, lines: number): CrossSpectralDensity {
  const all = csd.frequencies.length;
  if (lines >= all) return csd;
  const pairs = (csd.channels * (csd.channels + 1)) / 2;
  const re = new Float64Array(pairs * lines);
  const im = new Float64Array(pairs * lines);
  for (let p = 0; p < pairs; p++) {
    re.set(csd.re.subarray(p * all, p * all + lines), p * lines);
    im.set(csd.im.subarray(p * all, p * all + lines), p * lines);
  }
  return { ...csd, frequencies: csd.frequencies.slice(0, lines), re, im };
}

/** The band from a scan (see above), as the result reports it. */
export function bandFromScan(scan: BandScan, fs: number, fmin: number): BandChoice {
  const limit = 0.4 * fs;
  if (scan.top === undefined) {
    const fmax = defaultFmax(fs);
    return {
      fmin,
      fmax,
      decimate: defaultDecimation(fs, fmax),
      chosen: 'auto',
      reason: `no coherent spectral peak stood out of the noise, so fmax = min(0.4·fs, ${DEFAULT_FMAX_HZ} Hz)`,
    };
  }
  const wanted = roundUp(MARGIN * (scan.top + scan.resolution));
  const fmax = Math.min(limit, wanted);
  const decimate = defaultDecimation(fs, fmax);
  const why =
    fmax < wanted
      ? `the spectrum holds coherent peaks up to ${scan.top.toFixed(2)} Hz, near the Nyquist frequency: fmax = 0.4·fs = ${fmax} Hz`
      : `the spectrum holds coherent peaks up to ${scan.top.toFixed(2)} Hz (${scan.peaks.length} found by a quick look): fmax = 1.25 × that = ${fmax} Hz`;
  return {
    fmin,
    fmax,
    decimate,
    chosen: 'auto',
    reason: `${why}, decimated by ${decimate} to ${Number((fs / decimate).toPrecision(4))} Hz`,
  };
}

/** Up to 2 significant digits, rounded up (43.6 → 44, 0.183 → 0.19). */
function roundUp(v: number): number {
  if (!(v > 0)) return v;
  const scale = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Number((Math.ceil(v / scale - 1e-9) * scale).toPrecision(2));
}

/** The band from the data in one call (a quick look, then the rule above). */
export async function bandFromData(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  fmin = 0,
  checkpoint?: Checkpoint,
): Promise<BandChoice> {
  return bandFromScan(await scanBand(channels, fs, checkpoint), fs, fmin);
}
