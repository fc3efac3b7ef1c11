/**
 * When a spectral line is a harmonic (deterministic excitation: rotating machinery, mains) and
 * not a structural mode — the rules, on evidence that is cheap and robust:
 *
 *  - the kurtosis k of the record band-passed around the line (signal/band-kurtosis.ts): 3 for the
 *    Gaussian response of a mode to broadband excitation, 1.5 for a sine (Brincker, Andersen &
 *    Møller 2000; Jacobsen 2006). Under the Gaussian hypothesis its standard error is √(24/N) for
 *    N independent samples; a narrow-band process of bandwidth πζf over T seconds has about
 *    N = 2πζfT of them (the count behind Au's uncertainty law, too), with ζ at least
 *    `MODE_DAMPING_FLOOR` — a structural mode is rarely damped less, and a line narrower than
 *    that is suspicious in itself;
 *  - the line's width: a sine's half-height width is the window's (Hann: 1.44 lines), a mode's is
 *    its half-power bandwidth 2ζf — when the resolution would spread a mode of ζ = 0.5 % over
 *    ≥ 6 lines, a line of ≤ 3 lines is no mode;
 *  - an exact integer relation with a line already found harmonic (the multiples of a shaft
 *    speed: 2×, 3×, …), within the line's own spread;
 *  - for SSI clusters: a damping ratio near zero (< 0.1 %) with a real shape (MPC ≥ 0.9), the
 *    signature of a forced steady-state response.
 *
 * A line is harmonic when k ≤ 2.4 and k ≤ 3 − 3·se (the sine holds ≥ 60 % of the band's power:
 * (1.5r² + 6r + 3)/(1 + r)² = 2.4 at r = 1.6), or when k ≤ 2.7 and k ≤ 3 − 2·se with one of the
 * other signs, or when k ≤ 2.8 and it is a multiple of a harmonic. Measured on the test records
 * (30 minutes, 4 seeds): harmonics 1.53–1.68 (with ±0.5 % speed wander too), a mode whose band
 * holds a harmonic 1.83–1.87, modes 2.43–3.48 (the lowest only for modes of few cycles, where se
 * is large).
 */
export const MODE_DAMPING_FLOOR = 0.005;
const STRONG_KURTOSIS = 2.4;
const WEAK_KURTOSIS = 2.7;
const MULTIPLE_KURTOSIS = 2.8;
const NARROW_LINES = 3;
const RESOLVED_LINES = 6;
const SSI_DAMPING = 0.001;
const SSI_MPC = 0.9;

export interface LineEvidence {
  readonly frequency: number;
  readonly kurtosis: number;
  /** Record length used for the kurtosis, s. */
  readonly duration: number;
  /** Apparent damping of the line: half its half-height width over its frequency. */
  readonly apparentDamping: number;
  /** Half-height full width in lines (spectral lines only). */
  readonly widthLines?: number;
  /** Line spacing, Hz (spectral lines only). */
  readonly df?: number;
  /** SSI clusters: the cluster's damping and the shape's MPC. */
  readonly damping?: number;
  readonly mpc?: number;
}

export type HarmonicRule = 'kurtosis' | 'kurtosis+narrow' | 'kurtosis+damping' | 'kurtosis+multiple';

/** Standard error of the kurtosis of a Gaussian mode with this line's width over the record. */
export function kurtosisStandardError(e: LineEvidence): number {
  const zeta = Math.max(e.apparentDamping, MODE_DAMPING_FLOOR);
  const n = 2 * Math.PI * zeta * e.frequency * e.duration;
  return Math.sqrt(24 / Math.max(n, 1));
}

/** The rule that makes the line harmonic, or undefined for a structural (or undecided) line. */
export function harmonicRule(e: LineEvidence, multipleOfHarmonic: boolean): HarmonicRule | undefined {
  const k = e.kurtosis;
  if (!Number.isFinite(k)) return undefined;
  const se = kurtosisStandardError(e);
  if (k <= STRONG_KURTOSIS && k <= 3 - 3 * se) return 'kurtosis';
  if (k <= WEAK_KURTOSIS && k <= 3 - 2 * se) {
    if (
      e.widthLines !== undefined &&
      e.df !== undefined &&
      e.widthLines <= NARROW_LINES &&
      (2 * MODE_DAMPING_FLOOR * e.frequency) / e.df >= RESOLVED_LINES
    )
      return 'kurtosis+narrow';
    if (e.damping !== undefined && e.damping < SSI_DAMPING && (e.mpc ?? 0) >= SSI_MPC)
      return 'kurtosis+damping';
  }
  if (multipleOfHarmonic && k <= MULTIPLE_KURTOSIS) return 'kurtosis+multiple';
  return undefined;
}

/**
 * The order n ≥ 2 for which f ≈ n·h (within `tolerance`·n plus 0.3 % — a shaft's speed wander
 * spreads its multiples in proportion), else 0.
 */
export function multipleOrder(f: number, h: number, tolerance: number): number {
  const n = Math.round(f / h);
  if (n < 2 || n > 12) return 0;
  return Math.abs(f - n * h) <= n * tolerance + 0.003 * f ? n : 0;
}
