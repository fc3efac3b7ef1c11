import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { HermitianEigenSolver } from '../linalg/hermitian-eig.js';
import { type CrossSpectralDensity, spectralMatrixAt, type WelchOptions, welchCsd } from '../signal/welch.js';
import type { FddSpectrum } from './types.js';

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
  const solver = new HermitianEigenSolver(l);
  const ar = new Float64Array(l * l);
  const ai = new Float64Array(l * l);
  const lambda = new Float64Array(l);
  const vr = new Float64Array(vectorCount * l);
  const vi = new Float64Array(vectorCount * l);
  const svd = toCheckpoint(control);
  let failedLines = 0;
  for (let k = 0; k < lines; k++) {
    // One line costs O(l³): tick every line (a clock read) so even 100+ channels abort promptly;
    // progress is reported every 64 lines.
    await svd.tick((k & 63) === 0 ? k / lines : undefined, 'singular values of the spectral matrix');
    spectralMatrixAt(csd, k, ar, ai);
    if (!solver.decompose(ar, ai, lambda, vectorCount, vr, vi)) {
      // Leave the line zero (no peak, no coherent vector) rather than the previous line's result.
      failedLines++;
      continue;
    }
    for (let i = 0; i < l; i++) (values[i] as Float64Array)[k] = Math.max(0, lambda[i] as number);
    vectorRe.set(vr, k * vectorCount * l);
    vectorIm.set(vi, k * vectorCount * l);
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

/** Shape vector i at line k as a ShapeVector view. */
export function shapeAt(s: FddSpectrum, k: number, i: number): { re: Float64Array; im: Float64Array } {
  const l = s.csd.channels;
  const at = (k * s.vectorCount + i) * l;
  return { re: s.vectorRe.subarray(at, at + l), im: s.vectorIm.subarray(at, at + l) };
}
