import { stat, writeFile } from 'node:fs/promises';
import {
  type ModalModel,
  modalModelFromMatrices,
  modalModelFromModes,
  shearFrame,
  simulateResponse,
  writeCsv,
} from '../oma/index.js';
import { UsageError } from './command-kit.js';
import { Output } from './output.js';
import type { SIMULATION_PRESETS } from './vocabulary.js';

/**
 * `stagecoach oma simulate <out.csv>`: sample data for the first hour. It simulates a structure
 * with known modes (lib/oma/synthetic: exact modal response to white-noise forces, plus sensor
 * noise), writes the accelerations as a CSV with a time column, writes the true modes beside it
 * (`<out>.modes.json`) and prints them, so an analysis's result can be checked against them.
 */

export type Preset = (typeof SIMULATION_PRESETS)[number];

export interface SimulateFlags {
  readonly preset: Preset;
  readonly minutes?: number;
  readonly seed: number;
  readonly json?: boolean;
}

interface PresetSpec {
  readonly description: string;
  readonly fs: number;
  readonly minutes: number;
  /** Sensor noise, as a fraction of each channel's RMS. */
  readonly noise: number;
  readonly channels: readonly { readonly name: string; readonly dof: number }[];
  model(): ModalModel;
}

/** Stiffness of equal storeys giving a shear frame of n storeys of mass m its first mode at f1. */
function storeyStiffness(n: number, m: number, f1: number): number {
  const s = Math.sin(Math.PI / (2 * (2 * n + 1)));
  return ((2 * Math.PI * f1) / (2 * s)) ** 2 * m;
}

function frameModel(
  masses: readonly number[],
  stiffnesses: readonly number[],
  damping: number | readonly number[],
): ModalModel {
  const { mass, stiffness } = shearFrame(masses, stiffnesses);
  return modalModelFromMatrices(mass, stiffness, masses.length, damping);
}

/** Orthonormal sine shapes over n equally spaced points (the modes of a simply supported beam). */
function sineShapes(n: number): Float64Array[] {
  const scale = Math.sqrt(2 / (n + 1));
  return Array.from({ length: n }, (_, j) =>
    Float64Array.from({ length: n }, (_, i) => scale * Math.sin(((j + 1) * (i + 1) * Math.PI) / (n + 1))),
  );
}

export const PRESETS: Readonly<Record<Preset, PresetSpec>> = {
  frame: {
    description: 'a five-storey building frame (1000 kg storeys), an accelerometer on each floor',
    fs: 100,
    minutes: 5,
    noise: 0.05,
    channels: Array.from({ length: 5 }, (_, i) => ({ name: `floor${i + 1}`, dof: i })),
    model: () => {
      const k = storeyStiffness(5, 1000, 3);
      return frameModel(Array(5).fill(1000), Array(5).fill(k), [0.01, 0.015, 0.02, 0.02, 0.025]);
    },
  },
  tower: {
    description:
      'a 60 m lattice tower in ten 6 m levels, lighter and softer towards the top, measured at four heights',
    fs: 50,
    minutes: 20,
    noise: 0.05,
    channels: [3, 5, 8, 10].map((level) => ({ name: `z${level * 6}m`, dof: level - 1 })),
    model: () => {
      const masses = Array.from({ length: 10 }, (_, i) => 900 - 40 * i);
      const profile = Array.from({ length: 10 }, (_, i) => 1 - 0.06 * i);
      // Scale the stiffness profile so that the first mode is at 0.85 Hz.
      const f1 = frameModel(masses, profile, 0.01).frequencies[0] ?? 1;
      const damping = [0.008, 0.01, 0.012, 0.012, 0.015, 0.015, 0.018, 0.02, 0.02, 0.02];
      return frameModel(
        masses,
        profile.map((k) => k * (0.85 / f1) ** 2),
        damping,
      );
    },
  },
  bridge: {
    description: 'a three-span girder bridge deck, eight accelerometers along it (vertical bending)',
    fs: 100,
    minutes: 10,
    noise: 0.05,
    channels: Array.from({ length: 8 }, (_, i) => ({ name: `deck${i + 1}`, dof: i })),
    model: () =>
      modalModelFromModes(
        [1.92, 2.47, 3.38, 6.95, 8.1, 10.6, 14.9, 17.8],
        [0.012, 0.01, 0.015, 0.013, 0.018, 0.016, 0.02, 0.022],
        sineShapes(8),
      ),
  },
};

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export async function simulate(file: string, flags: SimulateFlags): Promise<number> {
  const out = new Output(flags);
  const spec = PRESETS[flags.preset];
  const minutes = flags.minutes ?? spec.minutes;
  if (minutes > 120) throw new UsageError('--minutes must be at most 120 (a 2-hour record)');
  const model = spec.model();
  const record = await simulateResponse(model, {
    fs: spec.fs,
    duration: minutes * 60,
    channels: spec.channels.map((c) => c.dof),
    seed: flags.seed,
    noiseFraction: spec.noise,
  });
  const names = spec.channels.map((c) => c.name);
  await writeCsv(file, record.channels, { fs: spec.fs, names });
  // Modes beyond the analyses' default band (0.4·fs) are not in the record's reach.
  const modes = record.modes
    .filter((m) => m.frequency <= 0.4 * spec.fs)
    .map((m) => ({
      frequency: round(m.frequency, 4),
      damping: round(m.damping, 4),
      shape: Array.from(m.shape, (v) => round(v, 4)),
    }));
  const truth = {
    preset: flags.preset,
    structure: spec.description,
    fs: spec.fs,
    duration_s: minutes * 60,
    samples: record.channels[0]?.length ?? 0,
    seed: flags.seed,
    noise_fraction: spec.noise,
    channels: names,
    modes,
  };
  const modesFile = `${file.replace(/\.csv$/i, '')}.modes.json`;
  await writeFile(modesFile, `${JSON.stringify(truth, null, 2)}\n`);
  if (out.json) {
    out.printJson(truth);
    return 0;
  }
  if (!out.tty) {
    modes.forEach((m, i) => {
      out.line([i + 1, m.frequency, m.damping].join('\t'));
    });
    return 0;
  }
  const mb = (await stat(file)).size / 1e6;
  out.line(`${out.c.green('✓')} Wrote ${file}: ${spec.description}`);
  out.line(
    `  ${names.length} channels × ${truth.samples} samples at ${spec.fs} Hz (${minutes} min, ${mb.toFixed(1)} MB)`,
  );
  out.line(`  true modes in ${modesFile}:`);
  out.table(
    modes.map((m, i) => ({ ...m, n: i + 1 })),
    [
      { header: 'MODE', align: 'right', human: (m) => String(m.n) },
      { header: 'f [Hz]', align: 'right', human: (m) => m.frequency.toFixed(3) },
      { header: 'ζ [%]', align: 'right', human: (m) => (100 * m.damping).toFixed(2) },
    ],
  );
  out.hint(`  try: stagecoach analyze ${file} --method ssi`);
  return 0;
}
