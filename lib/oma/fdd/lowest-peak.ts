import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { defaultNperseg } from '../signal/defaults.js';
import { welchCsd } from '../signal/welch.js';
import { logSpectrum, roughness, smooth3, topographicProminence } from './spectrum-tools.js';

/**
 * The lowest significant peak of a record's spectrum, for SSI's block rows: 2·br lags must span
 * about one period of the lowest mode (Peeters & De Roeck 1999), and a default that ignores the
 * data (br from fmax/20) missed a 0.30 Hz fundamental — 0.8 s of lags for a 3.3 s period.
 *
 * The sum of the channels' Welch auto-spectra (the trace of the spectral matrix: every mode shows
 * at some sensor; no cross-spectra, so it costs one FFT per channel and segment), averaged over
 * three lines; its local maxima whose topographic prominence reaches max(0.5 decades, 6× the
 * median line-to-line roughness) — the FDD peak picker's threshold — are peaks. The lowest above
 * the first two lines (detrending residue) and up to `fmax` is returned, or undefined.
 */
export interface AutoSpectra {
  readonly frequencies: Float64Array;
  /** Each channel's Welch auto-spectrum. */
  readonly autos: Float64Array[];
  /** Their sum, the trace of the spectral matrix. */
  readonly trace: Float64Array;
}

/** Every channel's Welch auto-spectrum (default segment length) and their sum; undefined below 256 samples. */
export async function autoSpectra(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  control: RunControl | Checkpoint = {},
): Promise<AutoSpectra | undefined> {
  const checkpoint = toCheckpoint(control);
  const n = channels[0]?.length ?? 0;
  if (n < 256 || channels.length === 0) return undefined;
  const nperseg = defaultNperseg(n);
  const autos: Float64Array[] = [];
  let frequencies: Float64Array = new Float64Array(0);
  for (const [c, channel] of channels.entries()) {
    const psd = await welchCsd(
      [channel],
      fs,
      { nperseg },
      checkpoint.child(c / channels.length, (c + 1) / channels.length),
    );
    frequencies = psd.frequencies;
    autos.push(psd.re);
  }
  const trace = new Float64Array(frequencies.length);
  for (const a of autos)
    for (let k = 0; k < trace.length; k++) trace[k] = (trace[k] as number) + (a[k] as number);
  return { frequencies, autos, trace };
}

/** The lowest significant peak of a trace up to `fmax` (see above), or undefined. */
export function lowestPeak(frequencies: Float64Array, trace: Float64Array, fmax: number): number | undefined {
  const y = logSpectrum(smooth3(trace));
  const threshold = Math.max(0.5, 6 * roughness(y));
  for (let k = 3; k < y.length - 1 && (frequencies[k] as number) <= fmax; k++) {
    const v = y[k] as number;
    if (v > (y[k - 1] as number) && v >= (y[k + 1] as number) && topographicProminence(y, k) >= threshold)
      return frequencies[k] as number;
  }
  return undefined;
}

export async function lowestSpectralPeak(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  fmax: number,
  control: RunControl | Checkpoint = {},
): Promise<number | undefined> {
  const spectra = await autoSpectra(channels, fs, control);
  return spectra === undefined ? undefined : lowestPeak(spectra.frequencies, spectra.trace, fmax);
}
