import type { EfddOptions } from '../fdd/efdd.js';
import type { PeakOptions } from '../fdd/peaks.js';
import type { BandChoice } from '../modal/diagnostics.js';
import type { OmaMethod } from '../modal/types.js';
import type { DetrendMode } from '../signal/detrend.js';
import type { ClusteringOptions } from '../ssi/clustering.js';
import type { HardCriteria, StabilityCriteria } from '../ssi/stabilization.js';
import type { ButterworthFilterOptions } from './preprocess.js';

/**
 * The options of {@link analyzeRecord} (analyze.ts): every one but `method` has a default chosen
 * from the data (defaults.ts, band.ts, signal/defaults.ts).
 */
export interface AnalyzeOptions {
  readonly method: OmaMethod;
  /** Lowest frequency of interest, Hz (modes below are not reported; sets SSI block rows). */
  readonly fmin?: number;
  /** Highest frequency of interest, Hz. @default from the data (band.ts) */
  readonly fmax?: number;
  /** FDD/EFDD: explicit search bands in Hz (override [fmin, fmax]). */
  readonly bands?: readonly (readonly [number, number])[];
  /**
   * A band chosen before — a dataset preprocessed for it: its fmax is used and reported with its
   * reason (`decimate` then says what is left to do).
   */
  readonly band?: BandChoice;
  /** Decimation factor, or 'auto' (new Nyquist ≥ 2.5·fmax). @default 'auto' */
  readonly decimate?: number | 'auto';
  /** @default 'linear' */
  readonly detrend?: DetrendMode;
  /** Optional zero-phase Butterworth filter applied after decimation. */
  readonly filter?: ButterworthFilterOptions;
  /** Names of the channels, for diagnostics (index order). */
  readonly channelNames?: readonly string[];
  /** Channels to leave out (0-based); dead channels are left out as well, unless `keepDead`. */
  readonly excludeChannels?: readonly number[];
  /** Keep channels the sensor check finds dead (they are then analysed, and warned about). @default false */
  readonly keepDead?: boolean;
  /** Check the sensors (dead, clipped, spiky, …) before the analysis. @default true */
  readonly sensorCheck?: boolean;
  /** Classify spectral lines as harmonics and keep them out of the modes. @default true */
  readonly harmonics?: boolean;
  /** Welch segment length (FDD/EFDD). @default largest power of two ≤ N/8 */
  readonly nperseg?: number;
  /** Welch overlap fraction. @default 0.5 */
  readonly overlap?: number;
  readonly peaks?: Omit<PeakOptions, 'bands'>;
  readonly efdd?: EfddOptions;
  /** SSI block rows. @default from fs and the lowest spectral peak */
  readonly br?: number;
  readonly orderMin?: number;
  /** @default 100, capped by the Toeplitz size */
  readonly orderMax?: number;
  readonly orderStep?: number;
  readonly references?: readonly number[];
  readonly hardCriteria?: HardCriteria;
  readonly stability?: StabilityCriteria;
  readonly clustering?: ClusteringOptions;
  /** Statistical uncertainty of each mode (docs/oma.md, "Uncertainty"). @default true */
  readonly uncertainty?: boolean;
  /** Blocks (SSI) the record is cut into to estimate the covariances. @default see defaultUncertaintyBlocks */
  readonly uncertaintyBlocks?: number;
}
