import { LineDecomposer } from './spectrum.js';
import type { FddSpectrum } from './types.js';

/**
 * Removes harmonic lines from a decomposed spectrum (Jacobsen 2006, "Eliminating the influence of
 * harmonic components in operational modal analysis", IMAC XXIV; Brincker, Andersen & Møller
 * 2000): over each span of lines the spectral matrix G(f) — every cross-spectrum, real and
 * imaginary parts — is replaced by the straight line between the spectrum just outside the span,
 * and those lines are decomposed again. A mode whose bell holds the harmonic keeps the rest of its
 * bell, and the peak picker and EFDD see the structural response only. In place; the spans are
 * inclusive line ranges, each with at least one line on either side.
 */
export function removeLines(spectrum: FddSpectrum, spans: readonly { from: number; to: number }[]): void {
  const { csd } = spectrum;
  const lines = csd.frequencies.length;
  const pairs = (csd.channels * (csd.channels + 1)) / 2;
  const line = new LineDecomposer(csd.channels, spectrum.vectorCount);
  for (const span of spans) {
    const a = Math.max(0, span.from - 1);
    const b = Math.min(lines - 1, span.to + 1);
    if (b - a < 2) continue;
    for (let p = 0; p < pairs; p++) {
      const base = p * lines;
      for (const part of [csd.re, csd.im]) {
        const left = part[base + a] as number;
        const right = part[base + b] as number;
        for (let k = a + 1; k < b; k++) part[base + k] = left + ((right - left) * (k - a)) / (b - a);
      }
    }
    for (let k = a + 1; k < b; k++)
      line.decompose(csd, k, spectrum.values, spectrum.vectorRe, spectrum.vectorIm);
  }
}
