import { describe, expect, it } from 'vitest';
import { efdd } from '../../../lib/oma/fdd/efdd.js';
import { pickPeaks } from '../../../lib/oma/fdd/peaks.js';
import { fitSdof } from '../../../lib/oma/fdd/sdof-fit.js';
import { Xoshiro128 } from '../../../lib/oma/linalg/random.js';
import { expectClose } from '../support/assert-close.js';
import { analyticSpectrum, unit } from '../support/spectra.js';

const F0 = 2;
const ZETA = 0.015;
const DF = 0.002;

/** SDOF acceleration spectrum on a grid of DF, times `scatter(k)` per line. */
function sdofLines(scatter: (k: number) => number = () => 1): {
  frequencies: Float64Array;
  bell: Float64Array;
} {
  const lines = Math.round(4 / DF);
  const frequencies = Float64Array.from({ length: lines }, (_, k) => k * DF);
  const bell = new Float64Array(lines);
  for (let k = 1; k < lines; k++) {
    const f = frequencies[k] as number;
    bell[k] = (3.7 * f ** 4 * scatter(k)) / ((F0 * F0 - f * f) ** 2 + (2 * ZETA * F0 * f) ** 2);
  }
  return { frequencies, bell };
}

/** Lines within `halfWidths` half-power half-widths (ζ·f₀) of the peak. */
function around(halfWidths: number): [number, number] {
  const half = halfWidths * ZETA * F0;
  return [Math.round((F0 - half) / DF), Math.round((F0 + half) / DF)];
}

describe('SDOF spectrum fit', () => {
  it('recovers the frequency and damping of an exact bell from a poor start', () => {
    const { frequencies, bell } = sdofLines();
    for (const halfWidths of [6, 1.5]) {
      const [from, to] = around(halfWidths);
      const fit = fitSdof(frequencies, bell, from, to, F0 * 1.004, ZETA * 1.6);
      expect(fit, `fit over ±${halfWidths} half-widths`).toBeDefined();
      expectClose(fit?.frequency ?? Number.NaN, F0, 1e-6 * F0, `frequency, ±${halfWidths} half-widths`);
      expectClose(fit?.damping ?? Number.NaN, ZETA, 1e-5 * ZETA, `damping, ±${halfWidths} half-widths`);
    }
  });

  it('is unbiased under the scatter of Welch lines', () => {
    // Prepare: each line × χ²_ν/ν with ν = 64 (32 averaged segments), 40 independent spectra
    const nu = 64;
    const rng = new Xoshiro128(5);
    const g = new Float64Array(nu);
    const chi2 = (): number => {
      rng.fillGaussian(g);
      let s = 0;
      for (const x of g) s += x * x;
      return s / nu;
    };
    const [from, to] = around(3);
    const dampings: number[] = [];
    for (let trial = 0; trial < 40; trial++) {
      const { frequencies, bell } = sdofLines(chi2);
      // Act
      const fit = fitSdof(frequencies, bell, from, to, F0, ZETA);
      expect(fit, `trial ${trial}`).toBeDefined();
      dampings.push(fit?.damping ?? Number.NaN);
    }
    // Assert: the mean within 3 % of the truth, each estimate within 25 %
    const mean = dampings.reduce((a, b) => a + b, 0) / dampings.length;
    expectClose(mean, ZETA, 0.03 * ZETA, 'mean damping over 40 spectra');
    for (const z of dampings) expectClose(z, ZETA, 0.25 * ZETA, 'damping of one spectrum');
  });

  it('declines a bell of fewer than five lines or without a start', () => {
    const { frequencies, bell } = sdofLines();
    const at = Math.round(F0 / DF);
    expect(fitSdof(frequencies, bell, at - 1, at + 2, F0, ZETA)).toBeUndefined();
    expect(fitSdof(frequencies, bell, at - 20, at + 20, F0, 0)).toBeUndefined();
    expect(fitSdof(frequencies, bell, at - 20, at + 20, Number.NaN, ZETA)).toBeUndefined();
  });
});

describe('EFDD damping from the fitted bell', () => {
  it('is closer than the decrement for crowded modes and equal for a lone one', async () => {
    // Prepare: two modes 6 % apart whose bells cut each other short, and a lone mode
    const modes = [
      { frequency: 2.0, damping: 0.02, shape: unit([1, 1, 1]) },
      { frequency: 2.12, damping: 0.02, shape: unit([1, -0.6, 0.3]) },
      { frequency: 5.0, damping: 0.01, shape: unit([1, 0.2, -1]) },
    ];
    const spectrum = await analyticSpectrum(modes, { fs: 20, nperseg: 4096 });
    const peaks = pickPeaks(spectrum, { bands: [[0.5, 8]] });
    expect(peaks.map((p) => p.frequency.toFixed(1))).toEqual(['2.0', '2.1', '5.0']);
    // Act
    const fitted = efdd(spectrum, peaks);
    const decrement = efdd(spectrum, peaks, { damping: 'decrement' });
    // Assert
    for (let i = 0; i < 2; i++) {
      const truth = modes[i]?.damping ?? Number.NaN;
      const a = Math.abs((fitted[i]?.damping ?? Number.NaN) - truth);
      const b = Math.abs((decrement[i]?.damping ?? Number.NaN) - truth);
      expect(a, `mode ${i}: fit error ${a} vs decrement error ${b}`).toBeLessThan(0.6 * b);
      expectClose(fitted[i]?.damping ?? Number.NaN, truth, 0.2 * truth, `crowded mode ${i} damping`);
    }
    expectClose(fitted[2]?.damping ?? Number.NaN, 0.01, 0.0002, 'lone mode damping (fit)');
    expectClose(decrement[2]?.damping ?? Number.NaN, 0.01, 0.0002, 'lone mode damping (decrement)');
  });
});
