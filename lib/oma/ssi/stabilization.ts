import { macArrays } from '../modal/mac.js';
import type { StabilizationPole } from '../modal/types.js';
import { DEFAULT_DAMPING_MAX } from './defaults.js';
import type { SsiIdentification, SsiPole } from './ssi.js';

/**
 * Stabilization diagram (Peeters & De Roeck 2001, "Stochastic system identification for
 * operational modal analysis: a review", J. Dyn. Syst. Meas. Control 123; Reynders 2012,
 * "System identification methods for (operational) modal analysis: review and comparison",
 * Arch. Comput. Methods Eng. 19):
 *  - hard criteria reject poles that cannot be structural modes: not a conjugate pair, damping
 *    outside (0, ζ_max], MPC below its minimum or MPD above its maximum;
 *  - a pole is stable when the nearest (in frequency) physical pole of the previous model order
 *    agrees within |Δf|/f ≤ δf, |Δζ|/ζ ≤ δζ and MAC ≥ 1 - δMAC.
 */
export interface HardCriteria {
  /** @default 0.2 */
  readonly dampingMax?: number;
  /** @default 0.7 */
  readonly mpcMin?: number;
  /** Degrees. @default 30 */
  readonly mpdMax?: number;
}

export interface StabilityCriteria {
  /** @default 0.01 */
  readonly frequency?: number;
  /** @default 0.05 */
  readonly damping?: number;
  /** Required MAC is 1 - this. @default 0.02 */
  readonly mac?: number;
}

/** A diagram pole with the complex shape kept for clustering. */
export interface DiagramPole extends StabilizationPole {
  readonly source: SsiPole;
}

export function stabilizationDiagram(
  ident: SsiIdentification,
  hard: HardCriteria = {},
  stability: StabilityCriteria = {},
): DiagramPole[] {
  const dampingMax = hard.dampingMax ?? DEFAULT_DAMPING_MAX;
  const mpcMin = hard.mpcMin ?? 0.7;
  const mpdMax = hard.mpdMax ?? 30;
  const df = stability.frequency ?? 0.01;
  const dz = stability.damping ?? 0.05;
  const dmac = stability.mac ?? 0.02;
  const out: DiagramPole[] = [];
  let previous: SsiPole[] = [];
  ident.poles.forEach((poles) => {
    const physical: SsiPole[] = [];
    for (const p of poles) {
      const isPhysical =
        p.inRange && p.damping > 0 && p.damping <= dampingMax && p.mpc >= mpcMin && p.mpd <= mpdMax;
      let nearest: SsiPole | undefined;
      for (const q of previous) {
        if (
          nearest === undefined ||
          Math.abs(q.frequency - p.frequency) < Math.abs(nearest.frequency - p.frequency)
        ) {
          nearest = q;
        }
      }
      const macValue =
        nearest === undefined || !p.inRange
          ? Number.NaN
          : macArrays(p.shapeRe, p.shapeIm, nearest.shapeRe, nearest.shapeIm);
      const stableFrequency =
        nearest !== undefined && Math.abs(nearest.frequency - p.frequency) <= df * p.frequency;
      const stableDamping = nearest !== undefined && Math.abs(nearest.damping - p.damping) <= dz * p.damping;
      const stableShape = macValue >= 1 - dmac;
      out.push({
        order: p.order,
        frequency: p.frequency,
        damping: p.damping,
        mac: macValue,
        mpc: p.mpc,
        mpd: p.mpd,
        physical: isPhysical,
        stableFrequency,
        stableDamping,
        stableShape,
        stable: isPhysical && stableFrequency && stableDamping && stableShape,
        mode: -1,
        source: p,
      });
      if (isPhysical) physical.push(p);
    }
    previous = physical;
  });
  return out;
}
