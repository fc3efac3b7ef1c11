import type { Checkpoint, RunControl } from '../control.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from '../modal/modal.js';
import type { Mode } from '../modal/types.js';
import type { WelchOptions } from '../signal/welch.js';
import { DEFAULT_BELL_MAC_THRESHOLD, halfPowerBandwidth, sdofBell } from './bell.js';
import { type PeakOptions, pickPeaks } from './peaks.js';
import { fddSpectrum, peakShape } from './spectrum.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * Frequency Domain Decomposition (Brincker, Zhang & Andersen 2001, "Modal identification of
 * output-only systems using frequency domain decomposition", Smart Mater. Struct. 10): the
 * Welch cross-spectral density matrix G(f) is decomposed at every line, G = U S Uᴴ (spectrum.ts);
 * near a mode the first singular value is that mode's auto-spectrum and its singular vector the
 * mode shape (peaks.ts picks the peaks). Closely spaced modes show in the second singular value.
 */

/** Options of {@link fdd}: Welch's and the peak picker's. */
export interface FddOptions extends WelchOptions, PeakOptions {}

/** FDD modes from picked peaks: interpolated frequency, shape from the singular vector. */
export function fddModes(
  spectrum: FddSpectrum,
  peaks: readonly SpectralPeak[],
  macThreshold = DEFAULT_BELL_MAC_THRESHOLD,
): Mode[] {
  return peaks.map((p) => {
    const shape = peakShape(spectrum, p);
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
