/**
 * Result types of the OMA engine and their JSON form (typed arrays → number arrays, NaN → null).
 */
export type OmaMethod = 'fdd' | 'efdd' | 'ssi';

export interface Mode {
  /** Natural frequency in Hz. */
  readonly frequency: number;
  /** Damping ratio (fraction of critical); NaN when the method could not estimate it. */
  readonly damping: number;
  /** Real mode shape over the channels, unit max-abs with the largest component +1. */
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
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON-safe copy of any engine value: typed arrays become arrays, non-finite numbers null. */
export function toJsonValue(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (
    value instanceof Float64Array ||
    value instanceof Float32Array ||
    value instanceof Int32Array ||
    value instanceof Uint32Array
  ) {
    return Array.from(value, (v) => (Number.isFinite(v) ? v : null));
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toJsonValue(v);
    }
    return out;
  }
  return null;
}

/** The result as a plain JSON object (for storage and the API). */
export function resultToJson(result: OmaResult): { [key: string]: Json } {
  const json = toJsonValue(result);
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? json : {};
}
