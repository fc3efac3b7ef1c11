import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import { DECIMATION_FILTER } from './defaults.js';
import { butterworth, chebyshev1, type Section } from './iir-design.js';
import { defaultPadLength, sosFiltFilt } from './sos-filter.js';

/**
 * Decimation by an integer factor: zero-phase anti-alias low-pass, then every q-th sample
 * (the scheme of scipy.signal.decimate with ftype='iir', zero_phase=True). The default filter is
 * an order-8 Chebyshev type I with 0.05 dB ripple and its pass-band edge at 0.8 of the new
 * Nyquist frequency: flat to within 0.05 dB (×2 for forward–backward) where modes of interest
 * lie, and ≥ 40 dB down (×2) well before the new Nyquist.
 *
 * Large factors are split into stages of at most {@link MAX_STAGE_FACTOR} so that no single
 * stage has a cut-off so low that its poles crowd the unit circle.
 */
export interface DecimationOptions {
  /** @default 'chebyshev1' */
  readonly filter?: 'chebyshev1' | 'butterworth';
  /** @default 8 */
  readonly order?: number;
  /** Chebyshev pass-band ripple in dB. @default 0.05 */
  readonly rippleDb?: number;
}

export const MAX_STAGE_FACTOR = 10;

/** Splits q into factors ≤ MAX_STAGE_FACTOR where possible (a large prime stays one stage). */
export function decimationStages(q: number): number[] {
  const primes: number[] = [];
  let rest = q;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      primes.push(p);
      rest /= p;
    }
  }
  if (rest > 1) primes.push(rest);
  primes.sort((a, b) => b - a);
  const stages: number[] = [];
  for (const p of primes) {
    const i = stages.findIndex((s) => s * p <= MAX_STAGE_FACTOR);
    if (i >= 0) stages[i] = (stages[i] as number) * p;
    else stages.push(p);
  }
  return stages.sort((a, b) => b - a);
}

/** The anti-alias filter of one stage of factor q (fs normalised to 2 so Nyquist is 1). */
export function antiAliasFilter(q: number, options: DecimationOptions = {}): Section[] {
  const spec = {
    type: 'lowpass' as const,
    cutoff: 0.8 / q,
    order: options.order ?? DECIMATION_FILTER.order,
    fs: 2,
  };
  return (options.filter ?? DECIMATION_FILTER.type) === 'chebyshev1'
    ? chebyshev1(spec, options.rippleDb ?? DECIMATION_FILTER.rippleDb)
    : butterworth(spec);
}

/** Decimates one channel by q (q = 1 returns a Float64Array copy). Output length ceil(n/q). */
export function decimate(
  x: Float64Array | Float32Array,
  q: number,
  options: DecimationOptions = {},
): Float64Array {
  if (!Number.isInteger(q) || q < 1)
    throw new InvalidOptionError('decimate', `decimation factor must be an integer ≥ 1, got ${q}`);
  let current: Float64Array | Float32Array = x;
  if (q === 1) return Float64Array.from(x);
  for (const stage of decimationStages(q)) {
    const sections = antiAliasFilter(stage, options);
    if (current.length <= defaultPadLength(sections)) {
      throw new InsufficientDataError(`record of ${current.length} samples is too short to decimate by ${q}`);
    }
    const filtered = sosFiltFilt(sections, current);
    const out = new Float64Array(Math.ceil(filtered.length / stage));
    for (let i = 0, j = 0; j < out.length; i += stage, j++) out[j] = filtered[i] as number;
    current = out;
  }
  return current as Float64Array;
}
