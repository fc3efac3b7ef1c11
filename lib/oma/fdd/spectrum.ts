import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { HermitianEigenSolver } from '../linalg/hermitian-eig.js';
import { type CrossSpectralDensity, spectralMatrixAt, type WelchOptions, welchCsd } from '../signal/welch.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * The spectrum FDD works on (fdd.ts): the Welch cross-spectral density matrix G(f) and its
 * decomposition G = U S Uᴴ at every line. G is Hermitian, so a Hermitian eigen-solver gives it.
 */

/** Welch CSD, then the singular values (all) and leading vectors (two) at every line. */
export async function fddSpectrum(
  channels: readonly (Float64Array | Float32Array)[],
  fs: number,
  welch: WelchOptions,
  control: RunControl | Checkpoint = {},
): Promise<FddSpectrum> {
  const checkpoint = toCheckpoint(control);
  const csd = await welchCsd(channels, fs, welch, checkpoint.child(0, 0.6));
  return decomposeSpectrum(csd, checkpoint.child(0.6, 1));
}

/** The singular values (all) and leading vectors (two) of a spectral matrix at every line. */
export async function decomposeSpectrum(
  csd: CrossSpectralDensity,
  control: RunControl | Checkpoint = {},
): Promise<FddSpectrum> {
  const l = csd.channels;
  const lines = csd.frequencies.length;
  const vectorCount = Math.min(2, l);
  const values = Array.from({ length: l }, () => new Float64Array(lines));
  const vectorRe = new Float64Array(lines * vectorCount * l);
  const vectorIm = new Float64Array(lines * vectorCount * l);
  const line = new LineDecomposer(l, vectorCount);
  const svd = toCheckpoint(control);
  let failedLines = 0;
  for (let k = 0; k < lines; k++) {
    // One line costs O(l³): tick every line (a clock read) so even 100+ channels abort promptly;
    // progress is reported every 64 lines.
    await svd.tick((k & 63) === 0 ? k / lines : undefined, 'singular values of the spectral matrix');
    if (!line.decompose(csd, k, values, vectorRe, vectorIm)) failedLines++;
  }
  svd.report(1, 'singular values done');
  return {
    csd,
    frequencies: csd.frequencies,
    values,
    vectorCount,
    vectorRe,
    vectorIm,
    ...(failedLines > 0 ? { failedLines } : {}),
  };
}

/**
 * Decomposes the spectral matrix of one line into the spectrum's arrays (singular values, the
 * leading vectors); a line whose decomposition does not converge is left zero (no peak, no
 * coherent vector) rather than holding another line's result. Workspaces are reused.
 */
export class LineDecomposer {
  private readonly solver: HermitianEigenSolver;
  private readonly ar: Float64Array;
  private readonly ai: Float64Array;
  private readonly lambda: Float64Array;
  private readonly vr: Float64Array;
  private readonly vi: Float64Array;

  constructor(
    private readonly l: number,
    private readonly vectorCount: number,
  ) {
    this.solver = new HermitianEigenSolver(l);
    this.ar = new Float64Array(l * l);
    this.ai = new Float64Array(l * l);
    this.lambda = new Float64Array(l);
    this.vr = new Float64Array(vectorCount * l);
    this.vi = new Float64Array(vectorCount * l);
  }

  decompose(
    csd: CrossSpectralDensity,
    k: number,
    values: readonly Float64Array[],
    vectorRe: Float64Array,
    vectorIm: Float64Array,
  ): boolean {
    const { l, vectorCount } = this;
    spectralMatrixAt(csd, k, this.ar, this.ai);
    const ok = this.solver.decompose(this.ar, this.ai, this.lambda, vectorCount, this.vr, this.vi);
    for (let i = 0; i < l; i++)
      (values[i] as Float64Array)[k] = ok ? Math.max(0, this.lambda[i] as number) : 0;
    vectorRe.fill(0, k * vectorCount * l, (k + 1) * vectorCount * l);
    vectorIm.fill(0, k * vectorCount * l, (k + 1) * vectorCount * l);
    if (!ok) return false;
    vectorRe.set(this.vr, k * vectorCount * l);
    vectorIm.set(this.vi, k * vectorCount * l);
    return true;
  }
}

/** A peak's complex shape: its own when separated from a partner's, else its singular vector. */
export function peakShape(s: FddSpectrum, peak: SpectralPeak): { re: Float64Array; im: Float64Array } {
  return peak.shape ?? shapeAt(s, peak.shapeLine ?? peak.line, peak.singularValue - 1);
}

/** Shape vector i at line k as a ShapeVector view. */
export function shapeAt(s: FddSpectrum, k: number, i: number): { re: Float64Array; im: Float64Array } {
  const l = s.csd.channels;
  const at = (k * s.vectorCount + i) * l;
  return { re: s.vectorRe.subarray(at, at + l), im: s.vectorIm.subarray(at, at + l) };
}
