import { InsufficientDataError } from '../errors.js';
import type { Section } from './iir-design.js';

/**
 * Filtering with cascaded second-order sections in transposed direct form II, and the zero-phase
 * forward–backward variant (Gustafsson 1996, "Determining the initial states in forward-backward
 * filtering"): the record is extended at both ends by odd reflection (2x₀ - x_k), each pass
 * starts from the steady state of a step of the first value, so edges show no start-up
 * transient and the phase cancels exactly. Padding length and initial conditions follow
 * scipy.signal.sosfiltfilt, so results agree with it to rounding.
 */

/** Steady-state section states for a unit step: zi[2s], zi[2s+1] (scipy's sosfilt_zi). */
export function sosSteadyState(sections: readonly Section[]): Float64Array {
  const zi = new Float64Array(2 * sections.length);
  let scale = 1;
  sections.forEach((s, i) => {
    const g = (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2);
    zi[2 * i] = scale * (s.b1 + s.b2 - (s.a1 + s.a2) * g);
    zi[2 * i + 1] = scale * (s.b2 - s.a2 * g);
    scale *= g;
  });
  return zi;
}

/**
 * Filters x[from..to) in place, forwards (step +1) or backwards (step -1), starting from the
 * section states `zi` times `initial` (pass zi = undefined for zero states).
 */
export function sosFilterInPlace(
  sections: readonly Section[],
  x: Float64Array,
  zi: Float64Array | undefined,
  initial: number,
  backwards = false,
): void {
  const n = x.length;
  sections.forEach((s, i) => {
    const { b0, b1, b2, a1, a2 } = s;
    let z0 = zi === undefined ? 0 : (zi[2 * i] as number) * initial;
    let z1 = zi === undefined ? 0 : (zi[2 * i + 1] as number) * initial;
    if (!backwards) {
      for (let k = 0; k < n; k++) {
        const xk = x[k] as number;
        const y = b0 * xk + z0;
        z0 = b1 * xk - a1 * y + z1;
        z1 = b2 * xk - a2 * y;
        x[k] = y;
      }
    } else {
      for (let k = n - 1; k >= 0; k--) {
        const xk = x[k] as number;
        const y = b0 * xk + z0;
        z0 = b1 * xk - a1 * y + z1;
        z1 = b2 * xk - a2 * y;
        x[k] = y;
      }
    }
  });
}

/** scipy's default padding: 3·(2·sections + 1 − trailing-zero adjustment). */
export function defaultPadLength(sections: readonly Section[]): number {
  const zerosB = sections.filter((s) => s.b2 === 0).length;
  const zerosA = sections.filter((s) => s.a2 === 0).length;
  return 3 * (2 * sections.length + 1 - Math.min(zerosB, zerosA));
}

/**
 * Zero-phase filtering of `x` (returns a new array of the same length; the input is untouched).
 * `work` may be passed to reuse a buffer of at least x.length + 2·padLength entries.
 */
export function sosFiltFilt(
  sections: readonly Section[],
  x: Float64Array | Float32Array,
  padLength = defaultPadLength(sections),
  work?: Float64Array,
): Float64Array {
  const n = x.length;
  if (n <= padLength) {
    throw new InsufficientDataError(
      `zero-phase filtering needs more than ${padLength} samples per channel, got ${n}`,
    );
  }
  const total = n + 2 * padLength;
  const ext = work !== undefined && work.length >= total ? work.subarray(0, total) : new Float64Array(total);
  const x0 = x[0] as number;
  const xn = x[n - 1] as number;
  for (let i = 0; i < padLength; i++) {
    ext[i] = 2 * x0 - (x[padLength - i] as number);
    ext[padLength + n + i] = 2 * xn - (x[n - 2 - i] as number);
  }
  for (let i = 0; i < n; i++) ext[padLength + i] = x[i] as number;
  const zi = sosSteadyState(sections);
  sosFilterInPlace(sections, ext, zi, ext[0] as number, false);
  sosFilterInPlace(sections, ext, zi, ext[total - 1] as number, true);
  return ext.slice(padLength, padLength + n);
}
