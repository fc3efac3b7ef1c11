import { PassThrough } from 'node:stream';
import {
  mac,
  modalModelFromMatrices,
  shearFrame,
  simulateResponse,
  type TrueMode,
  trueModes,
  writeCsv,
} from '../../../../lib/oma/index.js';

/** Measurements of a generated five-storey shear frame with known modes, as the CSV a user uploads. */
export interface Measurement {
  readonly csv: Buffer;
  readonly modes: readonly TrueMode[];
}

const cache = new Map<string, Promise<Measurement>>();

/**
 * Five storeys of 1000 kg tuned to f₁ = 3 Hz (modes 3.0, 8.76, 13.8, 17.7, 20.2 Hz), damping 1-2.5 %,
 * white-noise forces, 5 % measurement noise; a time column gives fs. Cached per shape.
 */
export function frameMeasurement(
  options: { readonly fs?: number; readonly duration?: number; readonly seed?: number } = {},
): Promise<Measurement> {
  const fs = options.fs ?? 100;
  const duration = options.duration ?? 120;
  const seed = options.seed ?? 3;
  const key = `${fs}/${duration}/${seed}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = generate(fs, duration, seed);
    cache.set(key, found);
  }
  return found;
}

async function generate(fs: number, duration: number, seed: number): Promise<Measurement> {
  const n = 5;
  const s = Math.sin(Math.PI / (2 * (2 * n + 1)));
  const k = ((2 * Math.PI * 3) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(n).fill(1000), Array(n).fill(k));
  const model = modalModelFromMatrices(mass, stiffness, n, [0.01, 0.015, 0.02, 0.02, 0.025]);
  const record = await simulateResponse(model, { fs, duration, seed, noiseFraction: 0.05 });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await writeCsv(sink, record.channels, { fs });
  return { csv: Buffer.concat(chunks), modes: record.modes };
}

/**
 * A 12-storey frame (f₁ = 2 Hz; 2.0, 6.0, 9.8, 13.6, 17.1 Hz below 20 Hz) measured in three
 * setups of 5 minutes at 50 Hz: references at storeys 6 and 12 in every setup, then 4, 4 and 2
 * roving sensors; each setup with its own seed and excitation level (×1, ×2.5, ×0.6). `modes` are
 * the true modes over the merged DOFs (references, then each setup's rovers).
 */
export interface MultiSetupMeasurement {
  readonly csvs: readonly Buffer[];
  readonly references: readonly string[];
  readonly modes: readonly TrueMode[];
}

let multiSetup: Promise<MultiSetupMeasurement> | undefined;

export function multiSetupMeasurement(): Promise<MultiSetupMeasurement> {
  multiSetup ??= generateSetups();
  return multiSetup;
}

async function generateSetups(): Promise<MultiSetupMeasurement> {
  const n = 12;
  const s = Math.sin(Math.PI / (2 * (2 * n + 1)));
  const k = ((2 * Math.PI * 2) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(n).fill(1000), Array(n).fill(k));
  const damping = Array.from({ length: n }, (_, j) => 0.01 + (0.01 * j) / (n - 1));
  const model = modalModelFromMatrices(mass, stiffness, n, damping);
  const refs = [5, 11];
  const rovers = [
    [0, 1, 2, 3],
    [4, 6, 7, 8],
    [9, 10],
  ];
  const csvs: Buffer[] = [];
  for (const [j, rov] of rovers.entries()) {
    const dofs = [...refs, ...rov];
    const rec = await simulateResponse(model, {
      fs: 50,
      duration: 300,
      seed: 40 + j,
      noiseFraction: 0.05,
      channels: dofs,
      forceStd: [1, 2.5, 0.6][j] ?? 1,
    });
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await writeCsv(sink, rec.channels, { fs: 50, names: dofs.map((d) => `storey${d + 1}`) });
    csvs.push(Buffer.concat(chunks));
  }
  const modes = trueModes(model, [...refs, ...rovers.flat()]).filter((m) => m.frequency < 20);
  return { csvs, references: ['storey6', 'storey12'], modes };
}

/** A CSV of `rows` samples of white noise on three channels with a time column. */
export function noiseCsv(rows: number, fs = 100): string {
  const lines = ['time,a,b,c'];
  let x = 1;
  const next = (): string => {
    x = (x * 48271) % 2147483647;
    return ((x / 2147483647) * 2 - 1).toFixed(5);
  };
  for (let i = 0; i < rows; i += 1) lines.push(`${(i / fs).toFixed(4)},${next()},${next()},${next()}`);
  return `${lines.join('\n')}\n`;
}

export interface ModeLike {
  readonly frequency: number;
  readonly shape: readonly (number | null)[];
}

/** For each true mode, the identified mode within ±5 % with the highest MAC (or undefined). */
export function matchModes(
  truth: readonly TrueMode[],
  modes: readonly ModeLike[],
): ({ frequency: number; mac: number } | undefined)[] {
  return truth.map((t) => {
    let best: { frequency: number; mac: number } | undefined;
    for (const m of modes) {
      if (Math.abs(m.frequency - t.frequency) > 0.05 * t.frequency) continue;
      const value = mac({ re: t.shape }, { re: Float64Array.from(m.shape, (v) => v ?? 0) });
      if (best === undefined || value > best.mac) best = { frequency: m.frequency, mac: value };
    }
    return best;
  });
}

/** Relative frequency errors of the matches; a missing mode counts as an infinite error. */
export function frequencyErrors(
  truth: readonly TrueMode[],
  matches: readonly ({ frequency: number } | undefined)[],
): number[] {
  return truth.map((t, i) => {
    const m = matches[i];
    return m === undefined ? Number.POSITIVE_INFINITY : Math.abs(m.frequency - t.frequency) / t.frequency;
  });
}
