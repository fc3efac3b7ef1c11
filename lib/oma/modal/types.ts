import type { BandChoice, Diagnostic, ExpectedUncertainty, Harmonic } from './diagnostics.js';

/**
 * Result types of the OMA engine, shared by every method (their JSON form is in json.ts). Fields
 * added for field records (diagnostics, harmonics, band, expected uncertainty, excluded channels)
 * are named as in the JSON, snake_case.
 */
export type OmaMethod = 'fdd' | 'efdd' | 'ssi';

export interface Mode {
  /** Natural frequency in Hz. */
  readonly frequency: number;
  /** Damping ratio (fraction of critical); NaN when the method could not estimate it. */
  readonly damping: number;
  /**
   * Real mode shape over the channels, unit max-abs with the largest component +1; NaN at
   * excluded channels (never 0: they were not measured).
   */
  readonly shape: Float64Array;
  /** SSI: standard deviation of the frequencies of the stable poles in the mode's cluster. */
  readonly frequencyStd?: number;
  /** SSI: standard deviation of the clustered damping ratios. */
  readonly dampingStd?: number;
  /** SSI: model order of the representative pole. */
  readonly order?: number;
  /** SSI: number of stable poles in the cluster. */
  readonly poles?: number;
  /** Modal phase collinearity of the complex shape (1 = real mode). */
  readonly mpc?: number;
  /** Mean phase deviation of the complex shape, degrees. */
  readonly mpd?: number;
  /** FDD/EFDD: which singular value the peak was found on (1 or 2). */
  readonly singularValue?: number;
  /** EFDD: why damping could not be estimated for this mode (damping is then NaN). */
  readonly error?: string;
  /** The uncertainty the record's length allows (Au's law; expected-uncertainty.ts). */
  readonly expected?: ExpectedUncertainty;
}

/** One pole of the stabilization diagram. */
export interface StabilizationPole {
  readonly order: number;
  readonly frequency: number;
  readonly damping: number;
  /** MAC to the nearest pole of the previous order (NaN at the first order). */
  readonly mac: number;
  readonly mpc: number;
  readonly mpd: number;
  /** Passed the hard criteria (damping range, MPC, MPD, conjugate pair). */
  readonly physical: boolean;
  readonly stableFrequency: boolean;
  readonly stableDamping: boolean;
  readonly stableShape: boolean;
  /** All three stability checks passed. */
  readonly stable: boolean;
  /** Index into `modes` of the cluster the pole was assigned to, or -1. */
  readonly mode: number;
}

export interface StabilizationDiagram {
  readonly orders: readonly number[];
  readonly poles: readonly StabilizationPole[];
}

export interface SingularValueSpectrum {
  readonly frequencies: Float64Array;
  /** values[i][k]: i-th singular value (descending) at line k. */
  readonly values: readonly Float64Array[];
}

export interface OmaResult {
  readonly method: OmaMethod;
  /** Sampling rate the analysis ran at (after decimation), Hz. */
  readonly fs: number;
  readonly modes: readonly Mode[];
  readonly stabilization?: StabilizationDiagram;
  readonly singularValues?: SingularValueSpectrum;
  /** MAC between the identified modes' shapes. */
  readonly macMatrix: readonly (readonly number[])[];
  /** Wall-clock seconds per phase. */
  readonly timings: Readonly<Record<string, number>>;
  /** The parameters actually used (defaults resolved), for the record. */
  readonly parameters: Readonly<Record<string, number | string | boolean | readonly number[]>>;
  /** The band searched, its decimation, and why. */
  readonly band: BandChoice;
  /** What the analysis noticed about the data and the modes, each with a code and a fix. */
  readonly diagnostics: readonly Diagnostic[];
  /** Spectral lines classified as harmonics (not modes), with their evidence. */
  readonly harmonics: readonly Harmonic[];
  /** Channels left out of the analysis (0-based, as given): their shape entries are NaN. */
  readonly excluded_channels: readonly number[];
}
