/**
 * What an analysis tells its user beside the modes: diagnostics (each with a stable code, the
 * mode or channel it concerns, the evidence and a one-line fix), the harmonics it set aside, the
 * band it analysed and why. Field names are the JSON's (snake_case), since these objects go into
 * results, the service's records and the CLI's `--json` unchanged.
 */

export type DiagnosticSeverity = 'info' | 'warning';

/**
 * The diagnostic codes, by where they arise:
 *
 * | code                  | raised when                                                         |
 * | --------------------- | ------------------------------------------------------------------- |
 * | CHANNEL_DEAD          | a channel is constant (or nearly): excluded automatically           |
 * | CHANNEL_EXCLUDED      | a channel was left out (asked for, or dead)                          |
 * | CHANNEL_CLIPPED       | a share of samples sits at the channel's extremes (saturation)       |
 * | CHANNEL_SPIKES        | isolated samples far outside the channel's robust scale              |
 * | CHANNEL_DROPOUTS      | runs of repeated values inside the range (a logger or cable fault)   |
 * | CHANNEL_STEP          | the channel's mean jumps during the record                          |
 * | CHANNEL_NOISY         | a channel's sample-to-sample roughness far above the others'          |
 * | CHANNEL_LEVEL         | a channel's level far above or below the others'                      |
 * | NONSTATIONARY         | the level changes over the record (a channel, or the whole record)   |
 * | BAND_CHOSEN           | the analysed band and decimation, and why (info)                      |
 * | BAND_CUT              | spectral peaks lie above the analysed band                            |
 * | SSI_LAGS_SHORT        | SSI's lags do not reach the lowest spectral peak's period             |
 * | SSI_SPLIT_BAND        | SSI ran in two bands to reach both ends (info)                        |
 * | SINGLE_CHANNEL        | one channel: no shapes to tell modes from noise                       |
 * | HARMONIC              | a spectral line was classified harmonic and not reported as a mode    |
 * | MODES_MERGED          | two modes closer than the frequency resolution, reported as one       |
 * | MODES_CLOSE           | two modes closer than a half-power bandwidth                          |
 * | DAMPING_FAILED        | EFDD could not estimate a mode's damping                              |
 * | DAMPING_UNCERTAIN     | the record is too short for a mode's damping (Au's law)               |
 * | NO_MODES              | no mode found in the band                                             |
 * | NOT_CONVERGED         | a numerical decomposition did not converge somewhere                  |
 * | NO_UNCERTAINTY        | too few segments or blocks for the modes' standard deviations (info)  |
 * | ORDER_DRIFT           | SSI: a mode's poles drift over the orders by more than 3σ             |
 * | SETUP                 | multi-setup: resampling, references, modes paired across setups       |
 * | CSV                   | the CSV reader's remarks (skipped lines, ignored columns)             |
 */
export type DiagnosticCode =
  | 'CHANNEL_DEAD'
  | 'CHANNEL_EXCLUDED'
  | 'CHANNEL_CLIPPED'
  | 'CHANNEL_SPIKES'
  | 'CHANNEL_DROPOUTS'
  | 'CHANNEL_STEP'
  | 'CHANNEL_NOISY'
  | 'CHANNEL_LEVEL'
  | 'NONSTATIONARY'
  | 'BAND_CHOSEN'
  | 'BAND_CUT'
  | 'SSI_LAGS_SHORT'
  | 'SSI_SPLIT_BAND'
  | 'SINGLE_CHANNEL'
  | 'HARMONIC'
  | 'MODES_MERGED'
  | 'MODES_CLOSE'
  | 'DAMPING_FAILED'
  | 'DAMPING_UNCERTAIN'
  | 'NO_MODES'
  | 'NOT_CONVERGED'
  | 'NO_UNCERTAINTY'
  | 'ORDER_DRIFT'
  | 'SETUP'
  | 'CSV';

export type Evidence = Readonly<Record<string, number | string>>;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: DiagnosticSeverity;
  /** One sentence: what was seen. */
  readonly message: string;
  /** One line: what to do about it. */
  readonly fix?: string;
  /** 1-based index into the result's modes. */
  readonly mode?: number;
  /** 0-based index into the record's channels (as given, before any exclusion). */
  readonly channel?: number;
  readonly channel_name?: string;
  readonly evidence?: Evidence;
}

/** A spectral line set aside as a harmonic (deterministic excitation), not a mode. */
export interface Harmonic {
  readonly frequency: number;
  /** The method that found it (FDD/EFDD peaks or SSI clusters). */
  readonly source: 'spectrum' | 'ssi';
  readonly evidence: Evidence;
}

/** The band the modes were searched in, and how it was chosen. */
export interface BandChoice {
  readonly fmin: number;
  readonly fmax: number;
  /** Decimation factor applied to the input. */
  readonly decimate: number;
  readonly chosen: 'auto' | 'user';
  readonly reason: string;
}

/** A mode's expected uncertainty for the record's length (Au 2014, see expected-uncertainty.ts). */
export interface ExpectedUncertainty {
  /** Coefficient of variation of the natural frequency. */
  readonly frequency_cv: number;
  /** Coefficient of variation of the damping ratio. */
  readonly damping_cv: number;
  /** Record length in natural periods, N_c = f·T. */
  readonly cycles: number;
  /** Record length that would bring damping_cv to 0.2, seconds. */
  readonly record_for_20pct: number;
}

/** The diagnostics as one-line strings (message, then the fix), for logs and terse displays. */
export function diagnosticLines(diagnostics: readonly Pick<Diagnostic, 'message' | 'fix'>[]): string[] {
  return diagnostics.map((d) => (d.fix === undefined ? d.message : `${d.message} — ${d.fix}`));
}
