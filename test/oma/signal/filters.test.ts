import { describe, expect, it } from 'vitest';
import { decimate, decimationStages } from '../../../lib/oma/signal/decimate.js';
import { detrendInPlace } from '../../../lib/oma/signal/detrend.js';
import { butterworth, chebyshev1, magnitudeResponse } from '../../../lib/oma/signal/iir-design.js';
import { sosFiltFilt } from '../../../lib/oma/signal/sos-filter.js';
import { EPS, expectArrayClose, expectAtMost, expectClose } from '../support/assert-close.js';
import { scipyReference } from '../support/fixtures.js';

const ref = scipyReference();

function sine(n: number, fs: number, f: number, amplitude = 1, phase = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * f * i) / fs + phase));
}

describe('Butterworth design', () => {
  it('is −3 dB (1/√2) at the cut-off for low-pass, high-pass and both band-pass edges', () => {
    // Prepare
    const fs = 200;
    const cases = [
      { sections: butterworth({ type: 'lowpass', cutoff: 12, order: 6, fs }), at: [12] },
      { sections: butterworth({ type: 'highpass', cutoff: 0.7, order: 3, fs }), at: [0.7] },
      { sections: butterworth({ type: 'bandpass', cutoff: [2, 30], order: 4, fs }), at: [2, 30] },
    ];
    for (const { sections, at } of cases) {
      for (const f of at) {
        // Act
        const h = magnitudeResponse(sections, f, fs);
        // Assess
        expectClose(h, Math.SQRT1_2, 1e-9, `|H(${f} Hz)|`);
      }
    }
  });

  it('matches scipy.signal.butter + sosfreqz magnitudes', () => {
    for (const f of ref.filters) {
      // Prepare
      const sections = butterworth({ type: f.type, cutoff: f.cutoff, order: f.order, fs: f.fs });
      // Act
      const h = f.responseFrequencies.map((x) => magnitudeResponse(sections, x, f.fs));
      // Assess
      expectArrayClose(h, f.responseMagnitude, 1e-10, `${f.type} order ${f.order} response`);
    }
  });

  it('gives a Chebyshev I pass band within its ripple and ≥ 40 dB attenuation at twice the edge', () => {
    // Prepare
    const sections = chebyshev1({ type: 'lowpass', cutoff: 0.2, order: 8, fs: 2 }, 0.05);
    const rippleFloor = 10 ** (-0.05 / 20);
    // Act / Assess
    for (let f = 0.001; f < 0.2; f += 0.01) {
      const h = magnitudeResponse(sections, f, 2);
      expect(h, `pass band at ${f}`).toBeGreaterThanOrEqual(rippleFloor - 1e-9);
      expect(h, `pass band at ${f}`).toBeLessThanOrEqual(1 + 1e-9);
    }
    expectAtMost(magnitudeResponse(sections, 0.4, 2), 0.01, '|H| at twice the edge');
  });
});

describe('sosFiltFilt (zero phase)', () => {
  it('agrees with scipy.signal.sosfiltfilt', () => {
    for (const f of ref.filters) {
      // Prepare
      const sections = butterworth({ type: f.type, cutoff: f.cutoff, order: f.order, fs: f.fs });
      // Act
      const y = sosFiltFilt(sections, Float64Array.from(ref.x));
      // Assess: both are exact to rounding; scale by the signal and the filter order
      expectArrayClose(y, f.output, 1e-10, `${f.type} order ${f.order} sosfiltfilt`);
    }
  });

  it('has no phase shift: an in-band sine comes out in phase, scaled by |H|²', () => {
    // Prepare
    const fs = 100;
    const f0 = 5;
    const sections = butterworth({ type: 'lowpass', cutoff: 8, order: 4, fs });
    const x = sine(4000, fs, f0, 1, 0.3);
    const gain = magnitudeResponse(sections, f0, fs) ** 2;
    // Act
    const y = sosFiltFilt(sections, x);
    // Assess (away from the ends): y ≈ |H|² x sample by sample
    const mid = x.subarray(500, 3500).map((v) => v * gain);
    expectArrayClose(y.subarray(500, 3500), mid, 1e-6, 'filtfilt output vs |H|²·input');
  });
});

describe('decimate', () => {
  it('matches scipy (cheby1 order 8, 0.05 dB, zero phase, every q-th sample)', () => {
    // Act
    const y = decimate(Float64Array.from(ref.x), ref.decimate.q);
    // Assess
    expectArrayClose(y, ref.decimate.output, 1e-9, 'decimate vs sosfiltfilt(cheby1)[::q]');
    // scipy.signal.decimate uses the transfer-function form: agreement to its rounding
    expectArrayClose(y, ref.decimate.scipyDecimate, 1e-6, 'decimate vs scipy.signal.decimate');
  });

  it('keeps an in-band sinusoid (amplitude and phase) and removes an out-of-band one', () => {
    // Prepare: 400 Hz, q = 5 → 80 Hz; 6 Hz in band, 60 Hz would alias to 20 Hz
    const fs = 400;
    const q = 5;
    const x = sine(40000, fs, 6, 2, 0.1);
    const alias = sine(40000, fs, 60, 1);
    const mixed = x.map((v, i) => v + (alias[i] as number));
    // Act
    const y = decimate(mixed, q);
    // Assess
    const expected = Float64Array.from({ length: y.length }, (_, i) => x[i * q] as number);
    expectArrayClose(
      y.subarray(200, y.length - 200),
      expected.subarray(200, expected.length - 200),
      2 * 0.006,
      'in-band sine after decimation',
    );
  });

  it('splits large factors into stages of at most 10', () => {
    for (const q of [2, 8, 12, 20, 36, 100, 128]) {
      const stages = decimationStages(q);
      expect(
        stages.reduce((a, b) => a * b, 1),
        `product of the stages of ${q}`,
      ).toBe(q);
      for (const s of stages) expect(s, `stage of ${q}`).toBeLessThanOrEqual(10);
    }
    expect(decimationStages(8)).toEqual([8]);
    expect(decimationStages(1)).toEqual([]);
    expect(decimationStages(17)).toEqual([17]);
  });
});

describe('detrendInPlace', () => {
  it('removes a straight line exactly and a mean exactly', () => {
    // Prepare
    const n = 1001;
    const x = Float64Array.from({ length: n }, (_, i) => 3.5 - 0.02 * i);
    const y = Float64Array.from({ length: n }, (_, i) => 7 + Math.sin(i));
    const meanY = y.reduce((a, b) => a + b, 0) / n;
    // Act
    detrendInPlace(x, 'linear');
    detrendInPlace(y, 'mean');
    // Assess
    expectArrayClose(x, new Float64Array(n), 100 * n * EPS, 'linear detrend of a line');
    expectClose(y.reduce((a, b) => a + b, 0) / n, 0, 100 * EPS * Math.abs(meanY), 'mean after mean removal');
  });
});
