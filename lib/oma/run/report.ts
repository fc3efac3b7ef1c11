import { expectedUncertainty } from '../modal/expected-uncertainty.js';
import type { Mode } from '../modal/types.js';
import type { Findings } from './findings.js';

/**
 * The last touches on the modes of an analysis: the uncertainty the record's length allows each
 * mode (Au's law, modal/expected-uncertainty.ts) with a warning where it makes the damping
 * meaningless, and shapes over every channel of the record as given (NaN where a channel was
 * left out: it was not measured, so 0 would be a claim).
 */

/** Above this expected coefficient of variation, a damping ratio says little: ±50 % at one σ. */
export const DAMPING_CV_WARNING = 0.5;

export function withExpectedUncertainty(
  modes: readonly Mode[],
  duration: number,
  findings: Findings,
): Mode[] {
  return modes.map((m) => {
    const expected = expectedUncertainty(m.frequency, m.damping, duration);
    if (expected.damping_cv > DAMPING_CV_WARNING) {
      findings.add({
        code: 'DAMPING_UNCERTAIN',
        severity: 'warning',
        message: `mode at ${m.frequency.toFixed(3)} Hz: a ${formatDuration(duration)} record gives its damping (${(100 * m.damping).toFixed(2)} %) an expected uncertainty of ±${Math.round(100 * expected.damping_cv)} % (Au's law: ${expected.cycles.toFixed(0)} cycles)`,
        fix: `record at least ${formatDuration(expected.record_for_20pct)} for ±20 %`,
        about: m,
        evidence: {
          damping_cv: round(expected.damping_cv, 3),
          cycles: round(expected.cycles, 1),
          record_for_20pct_s: Math.ceil(expected.record_for_20pct),
        },
      });
    }
    return { ...m, expected };
  });
}

/** Shapes over the kept channels → over all `total` channels, NaN at the others. */
export function expandShapes(modes: readonly Mode[], kept: readonly number[], total: number): Mode[] {
  if (kept.length === total) return [...modes];
  const expand = (values: Float64Array): Float64Array => {
    const out = new Float64Array(total).fill(Number.NaN);
    kept.forEach((c, i) => {
      out[c] = values[i] as number;
    });
    return out;
  };
  return modes.map((m) => {
    const shapeStd = m.uncertainty?.shapeStd;
    return {
      ...m,
      shape: expand(m.shape),
      ...(m.uncertainty === undefined || shapeStd === undefined
        ? {}
        : { uncertainty: { ...m.uncertainty, shapeStd: expand(shapeStd) } }),
    };
  });
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function round(v: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
