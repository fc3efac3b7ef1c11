import { InsufficientDataError } from '../errors.js';

/**
 * Default spectral-analysis parameters from the data (see docs/oma.md, "Defaults"):
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
