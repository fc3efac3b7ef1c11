import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { ConvergenceError, InvalidOptionError } from '../errors.js';
import { expm } from '../linalg/expm.js';
import { HermitianEigenSolver } from '../linalg/hermitian-eig.js';
import { Xoshiro128 } from '../linalg/random.js';
import { type ForcingOptions, ModalForcing } from './forcing.js';
import type { ModalModel, TrueMode } from './types.js';

export type { ModalModel, TrueMode } from './types.js';

/**
 * The project's synthetic structures with known modes, for tests, the benchmark and the demo.
 *
 * A structure is an N-DOF model M ẍ + C ẋ + K x = f with classical (modal) damping, so that it
 * decouples into SDOF equations q̈_j + 2ζ_jω_j q̇_j + ω_j² q_j = φ_jᵀ f in mass-normalised modal
 * coordinates (Caughey & O'Kelly 1965; C = M Φ diag(2ζω) Φᵀ M). Each modal SDOF is discretised
 * exactly under a zero-order-hold input (the state transition e^{A_c Δt} and input matrix from
 * the exponential of the augmented matrix [[A_c, B_c], [0, 0]]Δt, Van Loan 1978), so the
 * simulated response is exact for white-noise forces held constant over a sample — and the modal
 * parameters are the ground truth without discretisation error.
 */

/**
 * Mass and stiffness matrices (row-major n×n) of a shear frame: storey i has mass m_i and the
 * columns between storeys i-1 and i have stiffness k_i (storey 0 is tied to the ground).
 */
export function shearFrame(
  masses: readonly number[],
  stiffnesses: readonly number[],
): {
  mass: Float64Array;
  stiffness: Float64Array;
} {
  const n = masses.length;
  if (n < 1 || stiffnesses.length !== n) {
    throw new InvalidOptionError(
      'stiffnesses',
      'a shear frame needs one stiffness per storey (and ≥ 1 storey)',
    );
  }
  const mass = new Float64Array(n * n);
  const stiffness = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    mass[i * n + i] = masses[i] as number;
    const ki = stiffnesses[i] as number;
    stiffness[i * n + i] = (stiffness[i * n + i] as number) + ki;
    if (i > 0) {
      stiffness[(i - 1) * n + i - 1] = (stiffness[(i - 1) * n + i - 1] as number) + ki;
      stiffness[i * n + i - 1] = -ki;
      stiffness[(i - 1) * n + i] = -ki;
    }
  }
  return { mass, stiffness };
}

/**
 * Modes of K φ = ω² M φ for a diagonal mass matrix (reduced to a standard symmetric problem
 * M^-½ K M^-½ ψ = ω² ψ, φ = M^-½ ψ) with the given modal damping ratios (one per mode or one for
 * all).
 */
export function modalModelFromMatrices(
  mass: Float64Array,
  stiffness: Float64Array,
  n: number,
  damping: number | readonly number[],
): ModalModel {
  const invSqrtM = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j && (mass[i * n + j] as number) !== 0) {
        throw new InvalidOptionError(
          'mass',
          'modalModelFromMatrices expects a diagonal (lumped) mass matrix',
        );
      }
    }
    const m = mass[i * n + i] as number;
    if (!(m > 0)) throw new InvalidOptionError('mass', `mass ${i} must be positive, got ${m}`);
    invSqrtM[i] = 1 / Math.sqrt(m);
  }
  const re = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      re[i * n + j] = (invSqrtM[i] as number) * (stiffness[i * n + j] as number) * (invSqrtM[j] as number);
    }
  }
  const values = new Float64Array(n);
  const vr = new Float64Array(n * n);
  const vi = new Float64Array(n * n);
  if (!new HermitianEigenSolver(n).decompose(re, new Float64Array(n * n), values, n, vr, vi))
    throw new ConvergenceError('the eigenvalue problem of M^-½ K M^-½ did not converge');
  const frequencies = new Float64Array(n);
  const shapes: Float64Array[] = [];
  // Descending eigenvalues → ascending frequencies.
  for (let j = 0; j < n; j++) {
    const src = n - 1 - j;
    const omega2 = values[src] as number;
    if (!(omega2 > 0))
      throw new InvalidOptionError('stiffness', 'the stiffness matrix must be positive definite');
    frequencies[j] = Math.sqrt(omega2) / (2 * Math.PI);
    // The matrix is real, so the eigenvector is real up to a global phase: rotate it out.
    let bestRe = 0;
    let bestIm = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.hypot(vr[src * n + i] as number, vi[src * n + i] as number);
      if (a > Math.hypot(bestRe, bestIm)) {
        bestRe = vr[src * n + i] as number;
        bestIm = vi[src * n + i] as number;
      }
    }
    const mag = Math.hypot(bestRe, bestIm);
    const shape = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // Re(v · conj(best)/|best|) then M^-½.
      const v = ((vr[src * n + i] as number) * bestRe + (vi[src * n + i] as number) * bestIm) / mag;
      shape[i] = v * (invSqrtM[i] as number);
    }
    shapes.push(shape);
  }
  return { dofs: n, frequencies, dampingRatios: dampingArray(damping, n), shapes };
}

/**
 * A structure built from chosen modes with M = I: K = Φ Ω² Φᵀ for an orthonormal Φ. This is how
 * tests place two modes a chosen 2 % apart. `shapes` must be orthonormal (see
 * {@link randomOrthonormalShapes}).
 */
export function modalModelFromModes(
  frequencies: readonly number[],
  damping: number | readonly number[],
  shapes: readonly Float64Array[],
): ModalModel {
  const n = frequencies.length;
  if (shapes.length !== n || shapes.some((s) => s.length !== n)) {
    throw new InvalidOptionError('shapes', `need ${n} shapes of length ${n} (a complete orthonormal set)`);
  }
  const order = frequencies.map((f, i) => ({ f, i })).sort((a, b) => a.f - b.f);
  const d = dampingArray(damping, n);
  return {
    dofs: n,
    frequencies: Float64Array.from(order.map((o) => o.f)),
    dampingRatios: Float64Array.from(order.map((o) => d[o.i] as number)),
    shapes: order.map((o) => (shapes[o.i] as Float64Array).slice()),
  };
}

/** n orthonormal vectors of length n from Gram–Schmidt on seeded Gaussian vectors. */
export function randomOrthonormalShapes(n: number, seed: number): Float64Array[] {
  const rng = new Xoshiro128(seed);
  const out: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n);
    rng.fillGaussian(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of out) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (u[i] as number) * (v[i] as number);
        for (let i = 0; i < n; i++) v[i] = (v[i] as number) - dot * (u[i] as number);
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += (v[i] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) / norm;
    out.push(v);
  }
  return out;
}

function dampingArray(damping: number | readonly number[], n: number): Float64Array {
  const d = typeof damping === 'number' ? new Float64Array(n).fill(damping) : Float64Array.from(damping);
  if (d.length !== n) throw new InvalidOptionError('damping', `need one damping ratio per mode (${n})`);
  for (const z of d) {
    if (!(z > 0 && z < 1))
      throw new InvalidOptionError('damping', `damping ratios must be in (0, 1), got ${z}`);
  }
  return d;
}

export interface SimulationOptions {
  /** Sampling rate in Hz. */
  readonly fs: number;
  /** Record length in seconds. */
  readonly duration: number;
  /** DOF indices measured, one channel each. @default every DOF */
  readonly channels?: readonly number[];
  /**
   * Sensors that see a combination of DOFs (a corner accelerometer of a floor that also turns):
   * channel c measures Σ_i rows[c][i]·ẍ_i. Replaces `channels` when given.
   */
  readonly observation?: readonly Float64Array[];
  /** Coloured, correlated and harmonic forces (forcing.ts). @default white, independent */
  readonly forcing?: ForcingOptions;
  /** Standard deviation of the white-noise force at every DOF. @default 1 */
  readonly forceStd?: number;
  /** Additive measurement noise as a fraction of each channel's RMS. @default 0 */
  readonly noiseFraction?: number;
  /** PRNG seed. @default 1 */
  readonly seed?: number;
  /** Seconds simulated and discarded first so the response is stationary. @default 5/min(ζω), ≤ 600 s */
  readonly warmup?: number;
}

export interface SimulatedRecord {
  readonly fs: number;
  /** Acceleration per channel. */
  readonly channels: Float64Array[];
  /** The DOF of each channel (with `observation`: the row index). */
  readonly channelDofs: readonly number[];
  /** The exact modes seen at the channels, for accuracy checks. */
  readonly modes: TrueMode[];
}

/**
 * Acceleration response at the chosen DOFs to independent white-noise forces at every DOF,
 * simulated mode by mode (exact for classical damping). Cost O(samples·(dofs·modes + channels·modes)).
 */
export async function simulateResponse(
  model: ModalModel,
  options: SimulationOptions,
  control: RunControl | Checkpoint = {},
): Promise<SimulatedRecord> {
  const { fs, duration } = options;
  if (!(fs > 0) || !(duration > 0)) throw new InvalidOptionError('fs', 'fs and duration must be positive');
  const n = model.dofs;
  const nModes = model.frequencies.length;
  const channelDofs = options.channels ?? Array.from({ length: n }, (_, i) => i);
  for (const c of channelDofs) {
    if (!Number.isInteger(c) || c < 0 || c >= n) throw new InvalidOptionError('channels', `no DOF ${c}`);
  }
  const observation = options.observation;
  if (observation?.some((row) => row.length !== n))
    throw new InvalidOptionError('observation', `every observation row needs ${n} values (one per DOF)`);
  const nCh = observation?.length ?? channelDofs.length;
  const samples = Math.round(duration * fs);
  const dt = 1 / fs;
  let slowest = Number.POSITIVE_INFINITY;
  for (let j = 0; j < nModes; j++) {
    slowest = Math.min(
      slowest,
      (model.dampingRatios[j] as number) * 2 * Math.PI * (model.frequencies[j] as number),
    );
  }
  const warmup = Math.round((options.warmup ?? Math.min(600, 5 / slowest)) * fs);
  const checkpoint = toCheckpoint(control);

  // Exact ZOH discretisation per mode: exp([[0, 1, 0], [-ω², -2ζω, 1], [0, 0, 0]]·Δt).
  const ad = new Float64Array(4 * nModes);
  const bd = new Float64Array(2 * nModes);
  const kq = new Float64Array(nModes);
  const kv = new Float64Array(nModes);
  for (let j = 0; j < nModes; j++) {
    const w = 2 * Math.PI * (model.frequencies[j] as number);
    const z = model.dampingRatios[j] as number;
    const e = expm(Float64Array.from([0, dt, 0, -w * w * dt, -2 * z * w * dt, dt, 0, 0, 0]), 3);
    ad.set([e[0] as number, e[1] as number, e[3] as number, e[4] as number], 4 * j);
    bd[2 * j] = e[2] as number;
    bd[2 * j + 1] = e[5] as number;
    kq[j] = -w * w;
    kv[j] = -2 * z * w;
  }
  // Modal forces u = Φᵀ f with f ~ N(0, σ²I) have covariance σ² ΦᵀΦ; drawing u = σ L z with
  // L Lᵀ = ΦᵀΦ (Cholesky) is the same process at half the cost of projecting f — and with a
  // diagonal ΦᵀΦ (uniform masses) it is just independent scaled deviates.
  const chol = modalForceFactor(model);
  const phiCh = new Float64Array(nCh * nModes);
  for (let j = 0; j < nModes; j++) {
    const s = model.shapes[j] as Float64Array;
    for (let c = 0; c < nCh; c++)
      phiCh[c * nModes + j] =
        observation === undefined
          ? (s[channelDofs[c] as number] as number)
          : dot(observation[c] as Float64Array, s);
  }
  const seed = options.seed ?? 1;
  const rng = new Xoshiro128(seed);
  const forceStd = options.forceStd ?? 1;
  const forcing =
    options.forcing === undefined ? undefined : new ModalForcing(model, options.forcing, fs, forceStd, seed);
  const q = new Float64Array(nModes);
  const v = new Float64Array(nModes);
  const u = new Float64Array(nModes);
  const acc = new Float64Array(nModes);
  const z = new Float64Array(nModes);
  const channels = Array.from({ length: nCh }, () => new Float64Array(samples));
  const total = warmup + samples;
  const block = 8192;
  for (let start = 0; start < total; start += block) {
    await checkpoint.tick(start / total, 'simulating the structure');
    const end = Math.min(total, start + block);
    for (let k = start; k < end; k++) {
      rng.fillGaussian(z, forceStd);
      if (chol.diagonal) {
        for (let j = 0; j < nModes; j++) u[j] = (chol.l[j * nModes + j] as number) * (z[j] as number);
      } else {
        for (let j = 0; j < nModes; j++) {
          let s = 0;
          const row = j * nModes;
          for (let i = 0; i <= j; i++) s += (chol.l[row + i] as number) * (z[i] as number);
          u[j] = s;
        }
      }
      forcing?.apply(u, k);
      for (let j = 0; j < nModes; j++) {
        const qj = q[j] as number;
        const vj = v[j] as number;
        const uj = u[j] as number;
        // Acceleration at step k includes the direct feed-through of the held force.
        acc[j] = (kq[j] as number) * qj + (kv[j] as number) * vj + uj;
        const a4 = 4 * j;
        q[j] = (ad[a4] as number) * qj + (ad[a4 + 1] as number) * vj + (bd[2 * j] as number) * uj;
        v[j] = (ad[a4 + 2] as number) * qj + (ad[a4 + 3] as number) * vj + (bd[2 * j + 1] as number) * uj;
      }
      if (k < warmup) continue;
      const t = k - warmup;
      for (let c = 0; c < nCh; c++) {
        let s = 0;
        const row = c * nModes;
        for (let j = 0; j < nModes; j++) s += (phiCh[row + j] as number) * (acc[j] as number);
        (channels[c] as Float64Array)[t] = s;
      }
    }
  }
  const noise = options.noiseFraction ?? 0;
  if (noise > 0) {
    for (const ch of channels) {
      await checkpoint.tick(1, 'adding measurement noise');
      let ss = 0;
      for (let t = 0; t < samples; t++) ss += (ch[t] as number) ** 2;
      const std = noise * Math.sqrt(ss / samples);
      for (let t = 0; t < samples; t++) ch[t] = (ch[t] as number) + std * rng.nextGaussian();
    }
  }
  checkpoint.report(1, 'simulation done');
  return observation === undefined
    ? { fs, channels, channelDofs, modes: trueModes(model, channelDofs) }
    : { fs, channels, channelDofs: observation.map((_, c) => c), modes: observedModes(model, observation) };
}

/** Cholesky factor L (row-major, lower) of ΦᵀΦ, and whether ΦᵀΦ is diagonal. */
function modalForceFactor(model: ModalModel): { l: Float64Array; diagonal: boolean } {
  const m = model.frequencies.length;
  const n = model.dofs;
  const g = new Float64Array(m * m);
  let offMax = 0;
  let diagMax = 0;
  for (let a = 0; a < m; a++) {
    const sa = model.shapes[a] as Float64Array;
    for (let b = 0; b <= a; b++) {
      const sb = model.shapes[b] as Float64Array;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (sa[i] as number) * (sb[i] as number);
      g[a * m + b] = dot;
      if (a === b) diagMax = Math.max(diagMax, Math.abs(dot));
      else offMax = Math.max(offMax, Math.abs(dot));
    }
  }
  const diagonal = offMax <= 1e-12 * diagMax;
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let d = g[j * m + j] as number;
    if (!diagonal) for (let k = 0; k < j; k++) d -= (l[j * m + k] as number) ** 2;
    const ljj = Math.sqrt(Math.max(d, 0));
    l[j * m + j] = ljj;
    if (diagonal) continue;
    for (let i = j + 1; i < m; i++) {
      let s = g[i * m + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * m + k] as number) * (l[j * m + k] as number);
      l[i * m + j] = ljj > 0 ? s / ljj : 0;
    }
  }
  return { l, diagonal };
}

/** The model's modes restricted to the channels, normalised to unit max-abs (largest positive). */
export function trueModes(model: ModalModel, channelDofs: readonly number[]): TrueMode[] {
  return Array.from(model.frequencies, (f, j) => {
    const s = model.shapes[j] as Float64Array;
    return unitMax(
      f,
      model.dampingRatios[j] as number,
      Float64Array.from(channelDofs, (d) => s[d] as number),
    );
  });
}

/** The model's modes as seen by sensors that combine DOFs (see `observation`). */
export function observedModes(model: ModalModel, rows: readonly Float64Array[]): TrueMode[] {
  return Array.from(model.frequencies, (f, j) => {
    const s = model.shapes[j] as Float64Array;
    return unitMax(
      f,
      model.dampingRatios[j] as number,
      Float64Array.from(rows, (row) => dot(row, s)),
    );
  });
}

function unitMax(frequency: number, damping: number, shape: Float64Array): TrueMode {
  let big = 0;
  for (const x of shape) if (Math.abs(x) > Math.abs(big)) big = x;
  if (big !== 0) for (let i = 0; i < shape.length; i++) shape[i] = (shape[i] as number) / big;
  return { frequency, damping, shape };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
