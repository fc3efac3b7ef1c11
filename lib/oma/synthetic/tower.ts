import { InvalidOptionError } from '../errors.js';
import { modalModelFromModes } from './synthetic.js';
import type { ModalModel } from './types.js';

/**
 * A 3D tower whose bending modes come in pairs: `levels` rigid floors, each with two horizontal
 * translations (u, v along the principal axes) and a rotation θ, so 3·levels DOFs with M = I.
 * Every bending profile ψ_k (the modes of a uniform shear chain, f_k ∝ sin((2k−1)π/(2(2n+1))))
 * appears twice — along u at f_k and along v at f_k·(1 + pairSplit), orthogonal shapes — and once
 * in torsion at torsionRatio·f_k. The principal axes are turned by `axisAngle` degrees from the
 * sensors' axes; each floor carries a biaxial accelerometer at a corner (rx, ry) from the centre,
 * which sees x' = cos α·u − sin α·v − ry·θ and y' = sin α·u + cos α·v + rx·θ. With the pair
 * 0.6 % apart and the axes at 30°, every sensor sees both modes of a pair: the hard case for FDD
 * (a pair closer than its half-power bandwidth, shapes that no single channel separates).
 */
export interface TowerOptions {
  readonly levels: number;
  /** First bending frequency, Hz. */
  readonly f1: number;
  /** Relative distance of each bending pair. @default 0.006 */
  readonly pairSplit?: number;
  /** Principal axes against the sensors' axes, degrees. @default 30 */
  readonly axisAngle?: number;
  /** Torsional over bending frequency of the same profile. @default 1.37 */
  readonly torsionRatio?: number;
  /** Damping ratio of every mode. @default 0.01 */
  readonly damping?: number;
  /** Sensor corner offsets from the centre of rotation (in the rotation's length unit). @default [1, 0.6] */
  readonly corner?: readonly [number, number];
}

export interface Tower {
  readonly model: ModalModel;
  /** One row per sensor (two per floor, x' then y'), for `simulateResponse`'s `observation`. */
  readonly observation: Float64Array[];
}

export function towerModel(options: TowerOptions): Tower {
  const n = options.levels;
  if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError('levels', `need ≥ 1 level, got ${n}`);
  const split = options.pairSplit ?? 0.006;
  const alpha = ((options.axisAngle ?? 30) * Math.PI) / 180;
  const torsion = options.torsionRatio ?? 1.37;
  const [rx, ry] = options.corner ?? [1, 0.6];
  const dofs = 3 * n;
  const frequencies: number[] = [];
  const shapes: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const ratio =
      Math.sin(((2 * k + 1) * Math.PI) / (2 * (2 * n + 1))) / Math.sin(Math.PI / (2 * (2 * n + 1)));
    const fk = options.f1 * ratio;
    // ψ_k of the uniform chain fixed at the base, free at the top: sin((2k+1)π i/(2n+1)), i = 1..n,
    // orthogonal over the levels; normalised to unit length.
    const psi = Float64Array.from({ length: n }, (_, i) =>
      Math.sin(((2 * k + 1) * Math.PI * (i + 1)) / (2 * n + 1)),
    );
    const norm = Math.hypot(...psi);
    for (const [direction, f] of [
      [0, fk],
      [1, fk * (1 + split)],
      [2, fk * torsion],
    ] as const) {
      const shape = new Float64Array(dofs);
      for (let i = 0; i < n; i++) shape[3 * i + direction] = (psi[i] as number) / norm;
      frequencies.push(f);
      shapes.push(shape);
    }
  }
  const model = modalModelFromModes(frequencies, options.damping ?? 0.01, shapes);
  const observation: Float64Array[] = [];
  const c = Math.cos(alpha);
  const s = Math.sin(alpha);
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(dofs);
    x[3 * i] = c;
    x[3 * i + 1] = -s;
    x[3 * i + 2] = -ry;
    const y = new Float64Array(dofs);
    y[3 * i] = s;
    y[3 * i + 1] = c;
    y[3 * i + 2] = rx;
    observation.push(x, y);
  }
  return { model, observation };
}
