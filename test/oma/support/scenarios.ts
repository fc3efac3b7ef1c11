import {
  type ForcingOptions,
  type ModalModel,
  modalModelFromMatrices,
  type SensorFault,
  type SimulatedRecord,
  shearFrame,
  simulateResponse,
  type TrueMode,
  towerModel,
} from '../../../lib/oma/index.js';

/**
 * The harder records of the engine's real-world issue, generated (never stored): harmonic
 * forcing beside a frame, wind-like coloured and correlated forces, a tall frame with crowded
 * upper modes, a 3D tower with bending pairs, a very low fundamental, faulty sensors. Tests use
 * short versions (seconds each); the benchmark (test/bench/oma.ts) the long ones. No vitest
 * import, so the benchmark can use it.
 */
export interface Scenario {
  readonly name: string;
  readonly record: SimulatedRecord;
  /** The modes a user expects to be found (those in the structure's band of interest). */
  readonly truth: readonly TrueMode[];
  /** Harmonic frequencies present, Hz (which must not be reported as modes). */
  readonly harmonics: readonly number[];
  /** Channels with a fault, by kind. */
  readonly faults: readonly SensorFault[];
}

/** A uniform shear frame of `storeys` with first frequency f1 and damping from z0 to z1. */
export function frameModel(storeys: number, f1: number, z0 = 0.01, z1 = 0.02): ModalModel {
  // For a uniform frame ω₁ = 2√(k/m) sin(π/(2(2N+1))).
  const s = Math.sin(Math.PI / (2 * (2 * storeys + 1)));
  const k = ((2 * Math.PI * f1) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(storeys).fill(1000), Array(storeys).fill(k));
  const damping = Array.from({ length: storeys }, (_, j) => z0 + ((z1 - z0) * j) / Math.max(1, storeys - 1));
  return modalModelFromMatrices(mass, stiffness, storeys, damping);
}

interface Common {
  readonly duration: number;
  readonly seed?: number;
}

/**
 * An 8-storey frame (1.38 … 14.68 Hz) beside a rotating machine at 7.3 Hz with its second
 * multiple at 14.6 Hz — which sits in the bell of the 14.68 Hz mode — forcing the 4th floor;
 * `wander` is the relative speed wander (0.005 in the issue).
 */
export async function machineFrame(o: Common & { readonly wander?: number }): Promise<Scenario> {
  const model = frameModel(8, 1.378);
  const forcing: ForcingOptions = {
    harmonics: [
      {
        frequency: 7.3,
        amplitudes: [2, 1],
        pattern: [0, 0, 0, 1, 0, 0, 0, 0],
        wander: o.wander ?? 0,
        wanderPeriod: 40,
      },
    ],
  };
  const record = await simulateResponse(model, {
    fs: 100,
    duration: o.duration,
    seed: o.seed ?? 1,
    noiseFraction: 0.05,
    forcing,
  });
  return {
    name: `machine-frame${o.wander ? '-wander' : ''}`,
    record,
    truth: record.modes,
    harmonics: [7.3, 14.6],
    faults: [],
  };
}

/**
 * A 12-storey frame (1 … 12.9 Hz) under wind-like forces: spectrum falling as 1/f² above 1 Hz,
 * 70 % of the force power common to all floors; 5 % measurement noise leaves the top modes a few
 * dB above the noise floor.
 */
export async function windFrame(o: Common): Promise<Scenario> {
  const model = frameModel(12, 1, 0.01, 0.02);
  const record = await simulateResponse(model, {
    fs: 100,
    duration: o.duration,
    seed: o.seed ?? 1,
    noiseFraction: 0.05,
    forcing: { colour: { cornerHz: 1 }, commonFraction: 0.7 },
  });
  return { name: 'wind-frame', record, truth: record.modes, harmonics: [], faults: [] };
}

/** A 30-storey frame with 24 sensors, 400 Hz: 30 modes from 1.1 to 43 Hz, the upper ones crowded. */
export async function tallFrame(o: Common): Promise<Scenario> {
  const model = frameModel(30, 1.11, 0.01, 0.02);
  const channels = Array.from({ length: 24 }, (_, i) => Math.round((i * 29) / 23));
  const record = await simulateResponse(model, {
    fs: 400,
    duration: o.duration,
    seed: o.seed ?? 1,
    noiseFraction: 0.05,
    channels,
  });
  return { name: 'tall-frame', record, truth: record.modes, harmonics: [], faults: [] };
}

/**
 * A 6-level 3D tower: bending pairs 0.6 % apart with orthogonal shapes, axes at 30° to the
 * sensors, torsion at 1.37× each bending profile; 12 corner sensors, 100 Hz.
 */
export async function tower(o: Common & { readonly fmax?: number }): Promise<Scenario> {
  const t = towerModel({ levels: 6, f1: 1.5, pairSplit: 0.006, axisAngle: 30, damping: 0.01 });
  const record = await simulateResponse(t.model, {
    fs: 100,
    duration: o.duration,
    seed: o.seed ?? 1,
    noiseFraction: 0.05,
    observation: t.observation,
  });
  const fmax = o.fmax ?? 20;
  return {
    name: 'tower-3d',
    record,
    truth: record.modes.filter((m) => m.frequency <= fmax),
    harmonics: [],
    faults: [],
  };
}

/** A 12-storey frame with a 0.147 Hz fundamental, 6 sensors at 100 Hz. */
export async function slowTower(o: Common): Promise<Scenario> {
  const model = frameModel(12, 0.147, 0.015, 0.015);
  const record = await simulateResponse(model, {
    fs: 100,
    duration: o.duration,
    seed: o.seed ?? 5,
    noiseFraction: 0.05,
    channels: [1, 3, 5, 7, 9, 11],
  });
  return { name: 'slow-tower', record, truth: record.modes, harmonics: [], faults: [] };
}

/**
 * The 8-storey frame with three bad sensors: channel 2 stuck at a constant, channel 5 clipped at
 * ±1.5 RMS, channel 6 with 40 spikes of 40 RMS.
 */
export async function faultyFrame(o: Common): Promise<Scenario> {
  const { applySensorFaults } = await import('../../../lib/oma/index.js');
  const model = frameModel(8, 1.2);
  const record = await simulateResponse(model, {
    fs: 100,
    duration: o.duration,
    seed: o.seed ?? 1,
    noiseFraction: 0.05,
  });
  const faults: SensorFault[] = [
    { kind: 'stuck', channel: 2, value: 0.013 },
    { kind: 'clip', channel: 5, level: 1.5 },
    { kind: 'spikes', channel: 6, count: 40, amplitude: 40 },
  ];
  applySensorFaults(record.channels, record.fs, faults, o.seed ?? 1);
  return { name: 'faulty-frame', record, truth: record.modes, harmonics: [], faults };
}
