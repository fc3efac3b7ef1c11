import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../../lib/oma/linalg/random.js';
import { mac } from '../../../lib/oma/modal/mac.js';
import { bandKurtosis } from '../../../lib/oma/signal/band-kurtosis.js';
import { applySensorFaults } from '../../../lib/oma/synthetic/faults.js';
import { ModalForcing } from '../../../lib/oma/synthetic/forcing.js';
import { modalModelFromModes, simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { towerModel } from '../../../lib/oma/synthetic/tower.js';
import { expectAtLeast, expectAtMost, expectClose } from '../support/assert-close.js';

/**
 * The field-like records of the synthetic structures: coloured, correlated and harmonic forces,
 * sensors that combine DOFs (a 3D tower with bending pairs), sensor faults.
 */
const identity = (n: number): Float64Array[] =>
  Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));

describe('modal forcing', () => {
  it('gives each DOF force a share c of its power in common (u = √(1−c)e + √c·g·Φᵀ1)', () => {
    // Prepare: Φ = I, so the modal forces are the DOF forces
    const model = modalModelFromModes([1, 2], 0.02, identity(2));
    const forcing = new ModalForcing(model, { commonFraction: 0.7 }, 100, 1, 3);
    const rng = new Xoshiro128(5);
    const u = new Float64Array(2);
    let s11 = 0;
    let s22 = 0;
    let s12 = 0;
    const n = 200_000;
    // Act
    for (let k = 0; k < n; k++) {
      rng.fillGaussian(u);
      forcing.apply(u, k);
      s11 += (u[0] as number) ** 2;
      s22 += (u[1] as number) ** 2;
      s12 += (u[0] as number) * (u[1] as number);
    }
    // Assess: unit variance each, correlation 0.7 (standard error ≈ 1/√n)
    expectClose(s11 / n, 1, 0.02, 'variance of force 1');
    expectClose(s22 / n, 1, 0.02, 'variance of force 2');
    expectClose(s12 / Math.sqrt(s11 * s22), 0.7, 0.01, 'correlation of the two forces');
  });

  it('colours the forces: a 1/f² spectrum above the corner takes the power of a mode far above it', async () => {
    // Prepare: two uncoupled modes at 2 and 8 Hz, corner 1 Hz
    const model = modalModelFromModes([2, 8], 0.02, identity(2));
    const options = { fs: 100, duration: 600, seed: 2 };
    // Act
    const white = await simulateResponse(model, options);
    const wind = await simulateResponse(model, { ...options, forcing: { colour: { cornerHz: 1 } } });
    // Assess: the power ratio follows 1/(1 + (f/fc)²) of the one-pole low-pass (ZOH, fs ≫ f)
    const power = (x: Float64Array, f: number): number =>
      bandKurtosis([x], 100, [1], [f * 0.8, f * 1.2]).power;
    for (const [c, f] of [
      [0, 2],
      [1, 8],
    ] as const) {
      const ratio = power(wind.channels[c] as Float64Array, f) / power(white.channels[c] as Float64Array, f);
      expectClose(ratio, 1 / (1 + f * f), 0.25 / (1 + f * f), `coloured / white power at ${f} Hz`);
    }
  });

  it('adds a machine: a sine at f₀ and 2f₀, kurtosis 1.5 around them, 3 around the modes', async () => {
    // Prepare
    const model = modalModelFromModes([3, 9], 0.02, identity(2));
    // Act
    const record = await simulateResponse(model, {
      fs: 100,
      duration: 600,
      seed: 4,
      forcing: { harmonics: [{ frequency: 5.5, amplitudes: [1, 0.5], wander: 0.005, wanderPeriod: 30 }] },
    });
    // Assess
    const k = (f: number, w: number): number =>
      bandKurtosis(record.channels, 100, [1, 1], [f - w, f + w]).kurtosis;
    expectClose(k(5.5, 0.1), 1.5, 0.1, 'kurtosis around 5.5 Hz');
    expectClose(k(11, 0.2), 1.5, 0.15, 'kurtosis around 11 Hz');
    expectClose(k(3, 0.15), 3, 0.5, 'kurtosis around the 3 Hz mode');
  });

  it('leaves a record without the new options unchanged, sample for sample', async () => {
    const model = modalModelFromModes([3, 9], 0.02, identity(2));
    const a = await simulateResponse(model, { fs: 100, duration: 20, seed: 7 });
    const b = await simulateResponse(model, { fs: 100, duration: 20, seed: 7, forcing: {} });
    expect(b.channels[1]).toEqual(a.channels[1]);
  });
});

describe('a 3D tower with bending pairs', () => {
  it('has pairs 0.6 % apart whose shapes are orthogonal at the sensors, axes at 30° to them', () => {
    // Act
    const { model, observation } = towerModel({ levels: 4, f1: 1, pairSplit: 0.006, axisAngle: 30 });
    // Assess
    expect(observation.length).toBe(8);
    const f = Array.from(model.frequencies);
    expectClose(f[1] as number, 1.006, 1e-12, 'second mode of the first pair');
    const seen = (j: number): Float64Array =>
      Float64Array.from(observation, (row) =>
        row.reduce((s, v, i) => s + v * ((model.shapes[j] as Float64Array)[i] as number), 0),
      );
    expectAtMost(mac({ re: seen(0) }, { re: seen(1) }), 1e-12, 'MAC of the first pair at the sensors');
    // each sensor sees both: the x' sensor of the top floor carries cos 30° of one and sin 30° of the other
    const a = seen(0);
    const b = seen(1);
    expectClose(Math.abs((b[6] as number) / (a[6] as number)), Math.tan(Math.PI / 6), 1e-12, "top x' ratio");
  });
});

describe('sensor faults', () => {
  it('sticks, clips, spikes, drops out, steps, adds noise and changes gain as asked', () => {
    // Prepare
    const n = 10_000;
    const make = (seed: number): Float64Array => {
      const rng = new Xoshiro128(seed);
      const x = new Float64Array(n);
      rng.fillGaussian(x);
      return x;
    };
    const channels = Array.from({ length: 7 }, (_, i) => make(i + 1));
    const before = channels.map((c) => c.slice());
    // Act
    applySensorFaults(channels, 100, [
      { kind: 'stuck', channel: 0, value: 2 },
      { kind: 'clip', channel: 1, level: 1.5 },
      { kind: 'spikes', channel: 2, count: 10, amplitude: 40 },
      { kind: 'dropouts', channel: 3, count: 2, duration: 1 },
      { kind: 'step', channel: 4, at: 0.5, size: 3 },
      { kind: 'noise', channel: 5, level: 1 },
      { kind: 'gain', channel: 6, at: 0.5, factor: 4 },
    ]);
    // Assess
    const [stuck, clipped, spiky, dropped, stepped, noisy, gained] = channels as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    expect(stuck.every((v) => v === 2)).toBe(true);
    const rail = clipped.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const atRails = clipped.filter((v) => Math.abs(v) === rail).length / n;
    expectClose(atRails, 0.134, 0.02, 'share of samples at ±1.5 RMS');
    expectAtLeast(spiky.filter((v) => Math.abs(v) > 20).length, 9, 'spikes above 20 RMS');
    let repeats = 0;
    for (let i = 1; i < n; i++) if (dropped[i] === dropped[i - 1]) repeats++;
    expectAtLeast(repeats, 150, 'repeated samples of two 1-s dropouts at 100 Hz');
    expectClose((stepped[n - 1] as number) - (before[4]?.[n - 1] ?? 0), 3, 0.1, 'step size');
    expect(noisy).not.toEqual(before[5]);
    expectClose((gained[n - 1] as number) / (before[6]?.[n - 1] ?? 1), 4, 1e-12, 'gain after the change');
  });
});
