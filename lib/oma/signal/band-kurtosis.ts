import { InvalidOptionError } from '../errors.js';
import { butterworth } from './iir-design.js';
import { sosFilterInPlace, sosFiltFilt } from './sos-filter.js';

/**
 * The probability-density shape of a record band-passed around one spectral peak, the evidence
 * that tells a structural mode from a harmonic (Brincker, Andersen & Møller 2000, "An indicator
 * for separation of structural and harmonic modes in output-only modal testing", IMAC XVIII;
 * Jacobsen 2006, "Eliminating the influence of harmonic components in operational modal
 * analysis", IMAC XXIV): a mode's response to broadband excitation is Gaussian, kurtosis
 * E[x⁴]/E[x²]² = 3, while a sine has the arcsine density, kurtosis 1.5. A sine of power P_s in
 * Gaussian noise of power P_n gives (1.5r² + 6r + 3)/(1 + r)², r = P_s/P_n: 2.6 at r = 1.
 *
 * The channels are first combined along the peak's shape, y = Σ_c w_c x_c (a spatial filter
 * that favours the peak over other modes and noise), then band-passed by a Butterworth filter
 * of order 4 (8 poles; one pass — the phase does not change a density), and the first
 * 8/(πB) seconds (the filter's settling, a few of its time constants) are skipped.
 * O(channels·N + N) with one work array of N samples. Lines already known to be harmonics can be
 * taken out first (`notches`: y − BP(y), BP a zero-phase Butterworth band-pass of unit gain over
 * the notch), so that a mode beside a harmonic is judged on its own response.
 */
export interface BandStatistics {
  /** E[y⁴]/E[y²]² of the band-passed combination. */
  readonly kurtosis: number;
  /** Samples used (after the settling time). */
  readonly samples: number;
  /** Mean square of the band-passed combination. */
  readonly power: number;
}

const ORDER = 4;
const SETTLING_TIME_CONSTANTS = 8;

export function bandKurtosis(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  weights: ArrayLike<number>,
  band: readonly [number, number],
  work?: Float64Array,
  notches: readonly (readonly [number, number])[] = [],
): BandStatistics {
  const [lo, hi] = band;
  const nyquist = fs / 2;
  if (!(lo > 0 && hi > lo && hi < nyquist))
    throw new InvalidOptionError('band', `the band [${lo}, ${hi}] Hz must lie inside (0, ${nyquist})`);
  const n = channels[0]?.length ?? 0;
  const y = combine(channels, weights, work);
  for (const [a, b] of notches) {
    if (!(a > 0 && b > a && b < nyquist)) continue;
    const inside = sosFiltFilt(butterworth({ type: 'bandpass', cutoff: [a, b], order: ORDER, fs }), y);
    for (let i = 0; i < n; i++) y[i] = (y[i] as number) - (inside[i] as number);
  }
  const sections = butterworth({ type: 'bandpass', cutoff: [lo, hi], order: ORDER, fs });
  sosFilterInPlace(sections, y, undefined, 0, false);
  const skip = Math.min(Math.floor(n / 2), Math.ceil((SETTLING_TIME_CONSTANTS * fs) / (Math.PI * (hi - lo))));
  let s2 = 0;
  let s4 = 0;
  for (let i = skip; i < n; i++) {
    const v2 = (y[i] as number) * (y[i] as number);
    s2 += v2;
    s4 += v2 * v2;
  }
  const m = n - skip;
  const power = s2 / m;
  return { kurtosis: power > 0 ? s4 / m / (power * power) : Number.NaN, samples: m, power };
}

/** y = Σ_c w_c x_c in `work` (or a new array). */
function combine(
  channels: readonly (Float64Array | Float32Array)[],
  weights: ArrayLike<number>,
  work?: Float64Array,
): Float64Array {
  const n = channels[0]?.length ?? 0;
  const y = work !== undefined && work.length >= n ? work.subarray(0, n) : new Float64Array(n);
  y.fill(0);
  for (const [c, x] of channels.entries()) {
    const w = weights[c] as number;
    if (!(w !== 0 && Number.isFinite(w))) continue;
    for (let i = 0; i < n; i++) y[i] = (y[i] as number) + w * (x[i] as number);
  }
  return y;
}

/**
 * The range of the instantaneous frequency of the record band-passed over `band`: zero crossings
 * counted in windows of `cycles` periods give a frequency per window; the 5th and 95th percentiles
 * are returned (a sinusoidal wander's are 0.99 of its amplitude; random noise in the band moves
 * the single windows' estimates, the percentiles little). For a harmonic whose speed wanders this is the spread of its line, however its
 * spectrum looks (a sinusoidal wander makes discrete FM side lines, a random one a hump).
 */
export function bandFrequencyRange(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  weights: ArrayLike<number>,
  band: readonly [number, number],
  work?: Float64Array,
  cycles = 32,
): readonly [number, number] {
  const [lo, hi] = band;
  const y = combine(channels, weights, work);
  const n = y.length;
  sosFilterInPlace(
    butterworth({ type: 'bandpass', cutoff: [lo, hi], order: ORDER, fs }),
    y,
    undefined,
    0,
    false,
  );
  const skip = Math.min(Math.floor(n / 2), Math.ceil((SETTLING_TIME_CONSTANTS * fs) / (Math.PI * (hi - lo))));
  const estimates: number[] = [];
  let first = -1;
  let count = 0;
  for (let i = skip + 1; i < n; i++) {
    const a = y[i - 1] as number;
    const b = y[i] as number;
    if (a === 0 || a * b >= 0) continue;
    const t = i - 1 + a / (a - b);
    if (first < 0) {
      first = t;
      count = 0;
      continue;
    }
    count++;
    if (count === 2 * cycles) {
      estimates.push((cycles * fs) / (t - first));
      first = t;
      count = 0;
    }
  }
  if (estimates.length === 0) return [lo, hi];
  estimates.sort((p, q) => p - q);
  const at = (q: number): number =>
    estimates[Math.min(estimates.length - 1, Math.floor(q * estimates.length))] as number;
  return [at(0.05), at(0.95)];
}
