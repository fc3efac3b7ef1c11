/**
 * Result types of the OMA engine, shared by every method (their JSON form is in json.ts).
 */
export type OmaMethod = 'fdd' | 'efdd' | 'ssi';

export interface Mode {
  /** Natural frequency in Hz. */
  readonly frequency: number;
  /** Damping ratio (fraction of critical); NaN when the method could not estimate it. */
  readonly damping: number;
  /** Real mode shape over the channels, unit max-abs with the largest component +1. */
  readonly shape: Float64Array;
  /**
   * SSI: how steady the mode's poles are across model orders (standard deviations over its
   * stabilization cluster). A diagnostic of the diagram, not the uncertainty of the estimate.
   */
  readonly orderSpread?: OrderSpread;
  /** Statistical uncertainty of the estimate (SSI: perturbation; FDD/EFDD: segments). */
  readonly uncertainty?: ModalUncertainty;
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
  /** Multi-setup (PoSER): the mode as each setup identified it (JSON `setups`). */
  readonly setups?: readonly SetupEstimate[];
}

/** One setup's estimate of a merged mode (multi-setup PoSER). */
export interface SetupEstimate {
  readonly setup: string;
  readonly frequency: number;
  readonly damping: number;
  /** MAC between this setup's reference components and the merged ones. */
  readonly referenceMac: number;
  /** The factor this setup's shape was scaled by to fit the references. */
  readonly scale: number;
}

/** How a multi-setup result was assembled (JSON `multi_setup`). */
export interface MultiSetupInfo {
  /** 'poser': identified per setup, shapes rescaled on the references; 'preger': one SSI on merged data. */
  readonly merge: 'poser' | 'preger';
  /** The merged shapes' degrees of freedom: the references, then each setup's other channels. */
  readonly dofs: readonly string[];
  readonly setups: readonly {
    readonly name: string;
    /** The rate the setup was analysed at, and the rate it came at (they differ when resampled). */
    readonly fs: number;
    readonly fsInput: number;
    readonly samples: number;
    readonly references: readonly string[];
    readonly rovers: readonly string[];
  }[];
}

/** Spread of a stabilization cluster over the model orders (JSON `order_spread`). */
export interface OrderSpread {
  /** Standard deviation of the cluster's frequencies, Hz. */
  readonly frequency: number;
  /** Standard deviation of the cluster's damping ratios. */
  readonly damping: number;
}

/**
 * Standard deviations of a mode's estimates from the statistics of the record (JSON `uncertainty`,
 * snake_case): what a repetition of the measurement would scatter by, to first order. See
 * docs/oma.md, "Uncertainty", for how each method obtains them and what they leave out.
 */
export interface ModalUncertainty {
  /** σ of the natural frequency, Hz. */
  readonly frequencyStd: number;
  /** σ of the damping ratio (fraction of critical); NaN when the method gave no damping. */
  readonly dampingStd: number;
  /** σ of each component of the unit-max real shape (0 at the normalising component). */
  readonly shapeStd?: Float64Array;
  /** Range of MAC(estimate, truth) expected at ±2σ of the shape. */
  readonly macInterval?: readonly [number, number];
  /** 'perturbation': first-order propagation (SSI); 'segments': jackknife over segments (FDD/EFDD). */
  readonly method: 'perturbation' | 'segments';
  /** Blocks or segments the covariance was estimated from. */
  readonly blocks?: number;
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
  readonly warnings: readonly string[];
  /** Multi-setup analyses: the setups and the merged degrees of freedom (shapes follow `dofs`). */
  readonly multiSetup?: MultiSetupInfo;
}
