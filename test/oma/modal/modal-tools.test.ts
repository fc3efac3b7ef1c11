import { describe, expect, it } from 'vitest';
import { resultToJson } from '../../../lib/oma/modal/json.js';
import { mac, macMatrix } from '../../../lib/oma/modal/mac.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from '../../../lib/oma/modal/modal.js';
import { EPS, expectArrayClose, expectAtMost, expectClose } from '../support/assert-close.js';

const v = (...x: number[]): Float64Array => Float64Array.from(x);

describe('MAC', () => {
  it('is 1 for scaled and phase-rotated copies, 0 for orthogonal shapes, symmetric', () => {
    // Prepare
    const a = { re: v(1, 2, -1, 0.5) };
    const theta = 0.7;
    const rotated = {
      re: a.re.map((x) => -3 * x * Math.cos(theta)),
      im: a.re.map((x) => -3 * x * Math.sin(theta)),
    };
    const orth = { re: v(2, -1, 0, 0) };
    // Act / Assess
    expectClose(mac(a, rotated), 1, 10 * EPS, 'MAC with scaled, rotated copy');
    expectClose(mac(a, orth), 0, 10 * EPS, 'MAC with an orthogonal shape');
    const b = { re: v(0.3, 1, 0.2, -0.4), im: v(0.1, 0, -0.2, 0.05) };
    expectClose(mac(a, b), mac(b, a), 10 * EPS, 'symmetry');
    const m = macMatrix([a, orth, b]);
    expect(m.length).toBe(3);
    expectClose(m[1]?.[1] ?? 0, 1, 10 * EPS, 'diagonal of the MAC matrix');
  });
});

describe('MPC and MPD', () => {
  it('are 1 and 0° for a real (or uniformly rotated) mode and degrade with scattered phases', () => {
    // Prepare
    const theta = 1.1;
    const real = {
      re: v(1, -2, 0.5).map((x) => x * Math.cos(theta)),
      im: v(1, -2, 0.5).map((x) => x * Math.sin(theta)),
    };
    const scattered = { re: v(1, 0, -1, 0), im: v(0, 1, 0, -1) };
    // Act / Assess
    expectClose(modalPhaseCollinearity(real), 1, 1e-12, 'MPC of a rotated real mode');
    expectAtMost(meanPhaseDeviation(real), 1e-6, 'MPD of a rotated real mode (degrees)');
    expectClose(modalPhaseCollinearity(scattered), 0, 1e-12, 'MPC of a circular (travelling-wave) shape');
    expect(meanPhaseDeviation(scattered)).toBeGreaterThan(40);
  });

  it('realShape rotates out the common phase and normalises to unit max', () => {
    // Prepare
    const theta = -2.3;
    const base = v(0.2, -0.5, 1.5, 0.9);
    const complexShape = {
      re: base.map((x) => x * Math.cos(theta)),
      im: base.map((x) => x * Math.sin(theta)),
    };
    // Act
    const r = realShape(complexShape);
    // Assess
    expectArrayClose(
      r,
      base.map((x) => x / 1.5),
      1e-12,
      'real, unit-max shape',
    );
  });
});

describe('result JSON', () => {
  it("writes a mode's uncertainty and order spread in snake_case, NaN as null, older keys unchanged", () => {
    // Prepare
    const result = {
      method: 'ssi' as const,
      fs: 100,
      modes: [
        {
          frequency: 3,
          damping: 0.01,
          shape: v(1, 0.5),
          orderSpread: { frequency: 0.001, damping: 0.0002 },
          uncertainty: {
            frequencyStd: 0.002,
            dampingStd: Number.NaN,
            shapeStd: v(0, 0.01),
            macInterval: [0.99, 1] as const,
            method: 'perturbation' as const,
            blocks: 30,
          },
        },
      ],
      macMatrix: [[1]],
      timings: { poles: 0.1 },
      parameters: { orderMax: 40 },
      warnings: [],
    };
    // Act
    const json = resultToJson(result);
    // Assess
    expect(json.macMatrix).toEqual([[1]]);
    expect(json.parameters).toEqual({ orderMax: 40 });
    expect(json.modes).toEqual([
      {
        frequency: 3,
        damping: 0.01,
        shape: [1, 0.5],
        order_spread: { frequency: 0.001, damping: 0.0002 },
        uncertainty: {
          frequency_std: 0.002,
          damping_std: null,
          shape_std: [0, 0.01],
          mac_interval: [0.99, 1],
          method: 'perturbation',
          blocks: 30,
        },
      },
    ]);
  });
});
