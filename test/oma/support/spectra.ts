import { decomposeSpectrum } from '../../../lib/oma/fdd/spectrum.js';
import type { FddSpectrum } from '../../../lib/oma/fdd/types.js';
import { type CrossSpectralDensity, makeWindow, pairIndex } from '../../../lib/oma/signal/welch.js';

/**
 * Factory for exact spectral matrices: G(f) = Σ_m a_m |H_m(f)|² φ_m φ_mᵀ + σ² I with the
 * acceleration FRF of each mode, |H_m|² = f⁴ / ((f_m² − f²)² + (2ζ_m f_m f)²). No estimation
 * noise, so peak picking and the SDOF bell can be checked against known answers.
 */
export interface AnalyticMode {
  readonly frequency: number;
  readonly damping: number;
  readonly shape: readonly number[];
  /** @default 1 */
  readonly amplitude?: number;
}

export function analyticCsd(
  modes: readonly AnalyticMode[],
  options: { fs: number; nperseg: number; noise?: number },
): CrossSpectralDensity {
  const l = modes[0]?.shape.length ?? 1;
  const lines = Math.floor(options.nperseg / 2) + 1;
  const pairs = (l * (l + 1)) / 2;
  const re = new Float64Array(pairs * lines);
  const frequencies = Float64Array.from({ length: lines }, (_, k) => (k * options.fs) / options.nperseg);
  for (let k = 1; k < lines; k++) {
    const f = frequencies[k] as number;
    for (const m of modes) {
      const h2 = f ** 4 / ((m.frequency ** 2 - f * f) ** 2 + (2 * m.damping * m.frequency * f) ** 2);
      const a = (m.amplitude ?? 1) * h2;
      for (let i = 0; i < l; i++) {
        for (let j = 0; j <= i; j++) {
          const at = pairIndex(i, j) * lines + k;
          re[at] = (re[at] as number) + a * (m.shape[i] as number) * (m.shape[j] as number);
        }
      }
    }
    for (let i = 0; i < l; i++) {
      const at = pairIndex(i, i) * lines + k;
      re[at] = (re[at] as number) + (options.noise ?? 1e-6);
    }
  }
  return {
    fs: options.fs,
    channels: l,
    nperseg: options.nperseg,
    segments: 64,
    step: options.nperseg / 2,
    frequencies,
    re,
    im: new Float64Array(pairs * lines),
    window: makeWindow('hann', options.nperseg),
  };
}

export function analyticSpectrum(
  modes: readonly AnalyticMode[],
  options: { fs: number; nperseg: number; noise?: number },
): Promise<FddSpectrum> {
  return decomposeSpectrum(analyticCsd(modes, options));
}

/** Unit vector along `v`. */
export function unit(v: readonly number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
