import type { CrossSpectralDensity } from '../signal/welch.js';

/**
 * The types FDD's parts share: the decomposed spectrum and the peaks picked on it.
 */

/** Singular values and leading singular vectors of the Welch spectral matrix at every line. */
export interface FddSpectrum {
  readonly csd: CrossSpectralDensity;
  readonly frequencies: Float64Array;
  /** values[i][k]: i-th singular value at line k (descending in i). */
  readonly values: Float64Array[];
  /** Number of singular vectors kept per line (min(2, channels)). */
  readonly vectorCount: number;
  /** Vectors: re/im[(k·vectorCount + i)·channels + c] = component c of vector i at line k. */
  readonly vectorRe: Float64Array;
  readonly vectorIm: Float64Array;
  /** Lines whose eigen-decomposition did not converge (values and vectors zero there). */
  readonly failedLines?: number;
}

export interface SpectralPeak {
  readonly line: number;
  /** Interpolated peak frequency, Hz. */
  readonly frequency: number;
  /** 1 or 2: the singular vector (at `shapeLine`, else at `line`) that is the peak's shape. */
  readonly singularValue: number;
  /**
   * The line whose singular vector is the shape, when not `line`: for two close modes the
   * vectors at the peaks are mixtures, so the shape comes from a flank where one mode dominates.
   */
  readonly shapeLine?: number;
  /** Prominence in decades of the density along the peak's shape. */
  readonly prominence: number;
  /** That prominence at the bell's own scale, in standard deviations of the Welch scatter. */
  readonly significance?: number;
  /** Prominence in decades of the three-line average of the density along the shape. */
  readonly densityProminence?: number;
  /** MAC coherence with the neighbouring lines. */
  readonly coherence: number;
  /**
   * A second mode shape shares this peak's line (step 5 above): two modes closer than the
   * frequency resolution are probably merged into this one (absent otherwise).
   */
  readonly merged?: boolean;
  /** For a merged peak: where the density along the second shape peaks, Hz. */
  readonly mergedFrequency?: number;
  /** A mode resolved at another mode's line through its second shape: that mode's frequency, Hz. */
  readonly pairedWith?: number;
  /**
   * The shape, when not a stored singular vector: for a pair whose bells overlap, separated within
   * the pair's plane (pair-shapes.ts).
   */
  readonly shape?: { readonly re: Float64Array; readonly im: Float64Array };
}
