/**
 * The types of the synthetic structures (synthetic.ts, forcing.ts, tower.ts).
 */

/** Modal model: ω_j (Hz here), ζ_j and mass-normalised shapes (φᵀ M φ = 1) over all DOFs. */
export interface ModalModel {
  readonly dofs: number;
  /** Natural frequencies in Hz, ascending. */
  readonly frequencies: Float64Array;
  readonly dampingRatios: Float64Array;
  /** Mode j's shape over all DOFs, mass-normalised. */
  readonly shapes: readonly Float64Array[];
}

/** A true mode at the measured channels, unit max-abs with a positive largest component. */
export interface TrueMode {
  readonly frequency: number;
  readonly damping: number;
  readonly shape: Float64Array;
}
