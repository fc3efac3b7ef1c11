import { describe, expect, it } from 'vitest';
import {
  modalModelFromMatrices,
  modalModelFromModes,
  randomOrthonormalShapes,
  shearFrame,
  simulateResponse,
} from '../../../lib/oma/synthetic/synthetic.js';
import { expectArrayClose, expectClose } from '../support/assert-close.js';

describe('synthetic structures', () => {
  it('gives the analytic frequencies of a uniform shear frame and mass-normalised shapes', () => {
    // Prepare: ω_j = 2√(k/m) sin((2j-1)π / (2(2N+1)))
    const n = 6;
    const m = 500;
    const k = 4e6;
    const { mass, stiffness } = shearFrame(Array(n).fill(m), Array(n).fill(k));
    // Act
    const model = modalModelFromMatrices(mass, stiffness, n, 0.02);
    // Assess
    const exact = Array.from(
      { length: n },
      (_, j) =>
        (2 * Math.sqrt(k / m) * Math.sin(((2 * j + 1) * Math.PI) / (2 * (2 * n + 1)))) / (2 * Math.PI),
    );
    expectArrayClose(model.frequencies, exact, 1e-10 * (exact[n - 1] as number), 'frequencies');
    for (const [j, s] of model.shapes.entries()) {
      const generalisedMass = s.reduce((acc, v) => acc + m * v * v, 0);
      expectClose(generalisedMass, 1, 1e-12, `φ_${j}ᵀ M φ_${j}`);
    }
  });

  it('builds a structure with prescribed modes (a pair 2 % apart) and sorts them', () => {
    // Prepare
    const shapes = randomOrthonormalShapes(4, 3);
    // Act
    const model = modalModelFromModes([7.14, 2, 7, 11], [0.01, 0.02, 0.01, 0.03], shapes);
    // Assess
    expect(Array.from(model.frequencies)).toEqual([2, 7, 7.14, 11]);
    expect(Array.from(model.dampingRatios)).toEqual([0.02, 0.01, 0.01, 0.03]);
    expect(model.shapes[2]).toEqual(shapes[0]);
  });

  it('is reproducible for a seed, different across seeds, and stationary from the first sample', async () => {
    // Prepare
    const { mass, stiffness } = shearFrame([1000, 1000, 1000], [2e6, 2e6, 2e6]);
    const model = modalModelFromMatrices(mass, stiffness, 3, 0.02);
    const options = { fs: 100, duration: 200, channels: [0, 2], noiseFraction: 0.02 };
    // Act
    const a = await simulateResponse(model, { ...options, seed: 9 });
    const b = await simulateResponse(model, { ...options, seed: 9 });
    const c = await simulateResponse(model, { ...options, seed: 10 });
    // Assess
    expect(a.channels.length).toBe(2);
    expect(a.channels[0]?.length).toBe(20000);
    expect(a.channels[1]).toEqual(b.channels[1]);
    expect(a.channels[1]).not.toEqual(c.channels[1]);
    const x = a.channels[0] as Float64Array;
    const rms = (from: number, to: number): number =>
      Math.sqrt(x.subarray(from, to).reduce((s, v) => s + v * v, 0) / (to - from));
    // The warm-up removes the start-up transient: the first and last quarters have similar power.
    expectClose(rms(0, 5000) / rms(15000, 20000), 1, 0.15, 'RMS ratio first/last quarter');
    expect(a.modes.map((mode) => mode.shape.length)).toEqual([2, 2, 2]);
  });
});
