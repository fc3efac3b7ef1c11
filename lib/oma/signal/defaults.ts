import { InsufficientDataError } from '../errors.js';

/**
 * Default signal-processing parameters, the Welch segment from the data (see docs/oma.md,
 * "Defaults"):
 *
 *  - Welch segment: the largest power of two ≤ N/8 (at least 15 averages with 50 % overlap),
 *    within [256, 65536]: long segments resolve close modes and give EFDD long correlation
 *    functions; the averages keep the estimate's variance down.
 */
export function defaultNperseg(samples: number): number {
  if (samples < 256) {
    throw new InsufficientDataError(`${samples} samples are too few for a spectral analysis (need ≥ 256)`);
  }
  let p = 256;
  while (p * 2 <= samples / 8 && p < 65536) p *= 2;
  return p;
}

/** Welch segments overlap by half a segment. */
export const DEFAULT_OVERLAP = 0.5;

/**
 * The decimation anti-alias filter (decimate.ts): an order-8 Chebyshev type I low-pass with
 * 0.05 dB pass-band ripple, as recorded in a dataset's provenance.
 */
export const DECIMATION_FILTER = { type: 'chebyshev1', order: 8, rippleDb: 0.05 } as const;
