import { InvalidOptionError } from '../errors.js';

/**
 * Default analysis parameters from the sampling rate, the record length, the channel count and
 * the band of interest — what a structural engineer would choose by hand (see docs/oma.md):
 *
 *  - fmax (top of the band of interest): min(0.4·fs, 25 Hz). Civil structures' modes of interest
 *    lie well below 25 Hz; pass fmax for anything else.
 *  - decimation q: the largest integer with fs/q ≥ 5·fmax, i.e. the new Nyquist frequency is at
 *    least 2.5·fmax, so every mode of interest sits in the flat pass band of the anti-alias
 *    filter (edge at 0.8 of the new Nyquist = 2·fmax) with room above it.
 *  - fmin (for the block rows): the given fmin, else fmax/20 (with the default decimation, fs ≈ 5·fmax,
 *    this gives br ≈ 50).
 *  - block rows br: 2·br lags should span about one period of the lowest mode,
 *    br ≈ fs/(2·fmin) (Peeters & De Roeck 1999; Reynders 2012 §4), but at least enough rows for
 *    the highest order (br·l ≥ 2·n_max, and (br-1)·l > n_max) and at most what keeps the
 *    Toeplitz matrix ≤ 1500 rows (its SVD dominates the cost); within [8, 400].
 *  - highest model order n_max: 100 (50 modes' worth of states), capped by the Toeplitz size.
 *  - Welch segment: see signal/defaults.ts.
 */
export const DEFAULT_FMAX_HZ = 25;
export const DEFAULT_ORDER_MAX = 100;
export const MAX_TOEPLITZ_ROWS = 1500;
/** Prototype order of the optional zero-phase Butterworth filter (applied forward and backward). */
export const DEFAULT_FILTER_ORDER = 4;

export function defaultFmax(fs: number): number {
  return Math.min(0.4 * fs, DEFAULT_FMAX_HZ);
}

export function defaultDecimation(fs: number, fmax: number): number {
  return Math.max(1, Math.floor(fs / (5 * fmax)));
}

export function defaultBlockRows(fs: number, fmin: number, channels: number, orderMax: number): number {
  const forPeriod = Math.ceil(fs / (2 * fmin));
  const forOrder = Math.max(Math.ceil((2 * orderMax) / channels), Math.floor(orderMax / channels) + 2);
  const forCost = Math.floor(MAX_TOEPLITZ_ROWS / channels);
  return Math.max(8, Math.min(400, Math.max(forOrder, Math.min(forPeriod, forCost))));
}

export function defaultOrderMax(br: number, channels: number, references: number): number {
  return Math.max(2, Math.min(DEFAULT_ORDER_MAX, (br - 1) * channels, br * references));
}

export function checkBand(fmin: number | undefined, fmax: number, nyquist: number): void {
  if (!(fmax > 0) || fmax > nyquist) {
    throw new InvalidOptionError(
      'fmax',
      `fmax must be in (0, ${nyquist}] Hz (the Nyquist frequency), got ${fmax}`,
    );
  }
  if (fmin !== undefined && !(fmin >= 0 && fmin < fmax)) {
    throw new InvalidOptionError('fmin', `fmin must be in [0, fmax) = [0, ${fmax}) Hz, got ${fmin}`);
  }
}

/**
 * Blocks the record is cut into for the covariance of SSI's correlations (Reynders et al. 2008,
 * §4; docs/oma.md, "Uncertainty"): as many as make blocks of at least ten lag spans (20·br
 * samples) — each block's sums reach 2·br samples into the next, so shorter blocks are not
 * independent — and at most 30, which estimates σ to ±13 % (1/√(2(n_b − 1))) at a cost of a few
 * per cent of the identification.
 */
export function defaultUncertaintyBlocks(samples: number, br: number): number {
  return Math.min(MAX_UNCERTAINTY_BLOCKS, Math.floor(samples / (20 * br)));
}

export const MAX_UNCERTAINTY_BLOCKS = 30;
/** Fewer blocks leave σ itself uncertain by more than ±27 %: no uncertainty is reported. */
export const MIN_UNCERTAINTY_BLOCKS = 8;
