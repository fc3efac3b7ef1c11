/**
 * Defaults of SSI-cov and its stabilization diagram that more than one file needs (ssi.ts,
 * stabilization.ts, run/analyze.ts); the reasons are in docs/oma.md, "Defaults".
 */

/** Lowest model order identified. */
export const DEFAULT_ORDER_MIN = 2;
/** Model orders step by two: each conjugate pole pair takes two states. */
export const DEFAULT_ORDER_STEP = 2;
/** Poles damped more than this (fraction of critical) are not structural modes. */
export const DEFAULT_DAMPING_MAX = 0.2;
