import { InvalidOptionError } from '../errors.js';
import { Xoshiro128 } from '../linalg/random.js';
import type { ModalModel } from './types.js';

/**
 * Excitation beyond independent white noise at every DOF, for records closer to the field
 * (simulateResponse applies it to the modal forces u = Φᵀf at every time step, so it costs
 * O(modes) per sample and no extra memory):
 *
 *  - coloured forces: the white forces through a low-pass of `poles` real poles at `cornerHz`
 *    (unit DC gain), so their spectrum falls as f^(−2·poles) above the corner — wind-like
 *    buffeting with one pole (1/f²). Filtering each DOF's force or each modal force is the same
 *    (the filter is linear, time-invariant and common to all DOFs);
 *  - correlated forces: each DOF's force is √(1−c)·e_i(t) + √c·g(t)·d_i — a share c of its power
 *    common to every DOF with the pattern d (default: all ones, "the same gust on every floor"),
 *    so u = √(1−c)·Φᵀe + √c·g·Φᵀd;
 *  - harmonic forces (rotating machinery): Σ_n A_n sin(n·θ(t)) applied with the DOF pattern d,
 *    θ' = 2π f₀ (1 + w·r(t)), r a smooth wander in [−1, 1] (two incommensurate slow sines of
 *    period `wanderPeriod` and 0.37 of it), so the speed varies by ±w.
 *
 * Draws come from a second generator (seed + 7919), so a record without these options is the
 * same, sample for sample, as before they existed.
 */
export interface ForceSpectrum {
  /** Corner frequency of the low-pass, Hz. */
  readonly cornerHz: number;
  /** Number of real poles (the spectrum falls as f^(−2·poles) above the corner). @default 1 */
  readonly poles?: number;
}

export interface HarmonicForce {
  /** Fundamental (shaft) frequency, Hz. */
  readonly frequency: number;
  /** Force amplitude of the fundamental and each multiple (orders 1, 2, …). */
  readonly amplitudes: readonly number[];
  /** The force's distribution over the DOFs. @default 1 at every DOF */
  readonly pattern?: readonly number[];
  /** Relative speed wander: the frequency varies within f₀(1 ± wander). @default 0 */
  readonly wander?: number;
  /** Period of the wander, seconds. @default 60 */
  readonly wanderPeriod?: number;
}

export interface ForcingOptions {
  readonly colour?: ForceSpectrum;
  /** Share of each DOF's random force power common to all DOFs, in [0, 1). @default 0 */
  readonly commonFraction?: number;
  /** The common force's distribution over the DOFs. @default 1 at every DOF */
  readonly commonPattern?: readonly number[];
  readonly harmonics?: readonly HarmonicForce[];
}

/** Applies {@link ForcingOptions} to the white modal forces of each time step, in place. */
export class ModalForcing {
  private readonly modes: number;
  private readonly rng: Xoshiro128;
  private readonly independentScale: number;
  private readonly commonScale: number;
  /** Φᵀd of the common force. */
  private readonly commonParticipation: Float64Array;
  private readonly poleCoefficient: number;
  private readonly poles: number;
  /** Filter states, poles × modes. */
  private readonly state: Float64Array;
  private readonly harmonics: {
    readonly participation: Float64Array;
    readonly amplitudes: readonly number[];
    readonly omega: number;
    readonly wander: number;
    readonly wanderOmega: number;
    readonly phase: readonly [number, number];
  }[];

  constructor(
    model: ModalModel,
    options: ForcingOptions,
    private readonly fs: number,
    private readonly forceStd: number,
    seed: number,
  ) {
    this.modes = model.frequencies.length;
    this.rng = new Xoshiro128(seed + 7919);
    const c = options.commonFraction ?? 0;
    if (!(c >= 0 && c < 1)) throw new InvalidOptionError('commonFraction', `must be in [0, 1), got ${c}`);
    this.independentScale = Math.sqrt(1 - c);
    this.commonScale = Math.sqrt(c);
    this.commonParticipation = participation(model, options.commonPattern);
    const colour = options.colour;
    if (colour !== undefined && !(colour.cornerHz > 0 && colour.cornerHz < fs / 2))
      throw new InvalidOptionError('colour', `cornerHz must be in (0, fs/2), got ${colour.cornerHz}`);
    this.poles = colour === undefined ? 0 : (colour.poles ?? 1);
    this.poleCoefficient = colour === undefined ? 0 : Math.exp((-2 * Math.PI * colour.cornerHz) / fs);
    this.state = new Float64Array(this.poles * this.modes);
    this.harmonics = (options.harmonics ?? []).map((h) => {
      if (!(h.frequency > 0))
        throw new InvalidOptionError('harmonics', 'a harmonic needs a positive frequency');
      const period = h.wanderPeriod ?? 60;
      return {
        participation: participation(model, h.pattern),
        amplitudes: h.amplitudes,
        omega: 2 * Math.PI * h.frequency,
        wander: h.wander ?? 0,
        wanderOmega: (2 * Math.PI) / period,
        phase: [uniformAngle(this.rng), uniformAngle(this.rng)] as const,
      };
    });
  }

  /** Modifies the white modal forces `u` of step k (time k/fs). */
  apply(u: Float64Array, k: number): void {
    const m = this.modes;
    if (this.commonScale > 0) {
      const g = this.forceStd * this.rng.nextGaussian() * this.commonScale;
      for (let j = 0; j < m; j++)
        u[j] = this.independentScale * (u[j] as number) + g * (this.commonParticipation[j] as number);
    }
    // y_k = a·y_{k−1} + (1 − a)·x_k per pole: unit DC gain, one pole at the corner each.
    const a = this.poleCoefficient;
    for (let p = 0; p < this.poles; p++) {
      const base = p * m;
      for (let j = 0; j < m; j++) {
        const y = a * (this.state[base + j] as number) + (1 - a) * (u[j] as number);
        this.state[base + j] = y;
        u[j] = y;
      }
    }
    if (this.harmonics.length === 0) return;
    const t = k / this.fs;
    for (const h of this.harmonics) {
      // θ(t) = ω₀(t + w·∫r), r = 0.6 sin(Ωt + a) + 0.4 sin(Ωt/0.37 + b) (|r| ≤ 1)
      const o = h.wanderOmega;
      const integral =
        h.wander === 0
          ? 0
          : (-0.6 / o) * Math.cos(o * t + h.phase[0]) -
            ((0.4 * 0.37) / o) * Math.cos((o * t) / 0.37 + h.phase[1]);
      const theta = h.omega * (t + h.wander * integral);
      let force = 0;
      for (let n = 0; n < h.amplitudes.length; n++)
        force += (h.amplitudes[n] as number) * Math.sin((n + 1) * theta);
      for (let j = 0; j < m; j++) u[j] = (u[j] as number) + force * (h.participation[j] as number);
    }
  }
}

/** Φᵀd for a force pattern d over the DOFs (all ones by default). */
function participation(model: ModalModel, pattern: readonly number[] | undefined): Float64Array {
  if (pattern !== undefined && pattern.length !== model.dofs)
    throw new InvalidOptionError(
      'pattern',
      `a force pattern needs ${model.dofs} values, got ${pattern.length}`,
    );
  return Float64Array.from(model.shapes, (s) => {
    let dot = 0;
    for (let i = 0; i < model.dofs; i++)
      dot += (s[i] as number) * (pattern === undefined ? 1 : (pattern[i] as number));
    return dot;
  });
}

function uniformAngle(rng: Xoshiro128): number {
  return (2 * Math.PI * rng.nextUint32()) / 4294967296;
}
