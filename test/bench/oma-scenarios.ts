/**
 * The OMA benchmark's field-like cases (`npm run bench:oma`, run after the speed cases; `--case
 * <name>` runs one): the issue's harder records, generated (untimed) and written as CSV, then
 * analysed in a fresh child process with the engine's defaults — no fmax, no decimation, nothing
 * tuned — by FDD, EFDD and SSI. Each method is scored against the truth (found / spurious,
 * frequency and damping errors, least MAC), with the harmonics it listed, the band it chose, the
 * warnings it raised and its wall-clock time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeRecord, type Mode, readCsv, type TrueMode, writeCsv } from '../../lib/oma/index.js';
import {
  faultyFrame,
  frameModel,
  machineFrame,
  type Scenario,
  slowTower,
  tallFrame,
  tower,
  windFrame,
} from '../oma/support/scenarios.js';
import { score } from '../oma/support/score.js';

export interface ScenarioCase {
  readonly name: string;
  readonly make: () => Promise<Scenario>;
}

export const SCENARIO_CASES: readonly ScenarioCase[] = [
  { name: 'machine-8ch-100Hz-30min', make: () => machineFrame({ duration: 1800 }) },
  { name: 'machine-wander-8ch-100Hz-30min', make: () => machineFrame({ duration: 1800, wander: 0.005 }) },
  { name: 'faulty-8ch-100Hz-30min', make: () => faultyFrame({ duration: 1800 }) },
  { name: 'wind-12ch-100Hz-30min', make: () => windFrame({ duration: 1800 }) },
  { name: 'tower3d-12ch-100Hz-30min', make: () => tower({ duration: 1800 }) },
  { name: 'slow-6ch-100Hz-1h', make: () => slowTower({ duration: 3600 }) },
  { name: 'tall-24ch-400Hz-1h', make: () => tallFrame({ duration: 3600 }) },
  {
    name: 'short-5ch-100Hz-3min',
    make: async () => {
      const { simulateResponse } = await import('../../lib/oma/index.js');
      const record = await simulateResponse(frameModel(5, 1, 0.01, 0.02), {
        fs: 100,
        duration: 180,
        seed: 3,
        noiseFraction: 0.05,
      });
      return { name: 'short', record, truth: record.modes, harmonics: [], faults: [] };
    },
  },
];

interface TruthFile {
  readonly fs: number;
  readonly modes: { frequency: number; damping: number; shape: number[] }[];
  readonly harmonics: readonly number[];
  readonly faults: readonly number[];
}

export interface MethodScore {
  readonly found: number;
  readonly expected: number;
  readonly spurious: number;
  readonly meanFrequencyErrorPct: number;
  readonly meanDampingErrorPct: number | null;
  readonly minMac: number | null;
  readonly harmonics: string;
  readonly band: string;
  readonly warnings: string;
  readonly seconds: number;
}

export interface ScenarioResult {
  readonly case: string;
  readonly channels: number;
  readonly samples: number;
  readonly harmonicsTrue: readonly number[];
  readonly faultyChannels: readonly number[];
  readonly peakRssMB: number;
  readonly methods: Record<string, MethodScore>;
}

/** Generates a case and writes its CSV and truth; returns the paths. */
export async function writeScenario(c: ScenarioCase, dir: string): Promise<{ csv: string; truth: string }> {
  const s = await c.make();
  const csv = join(dir, `${c.name}.csv`);
  const truth = join(dir, `${c.name}.json`);
  await writeCsv(csv, s.record.channels, { fs: s.record.fs });
  const file: TruthFile = {
    fs: s.record.fs,
    modes: s.truth.map((m) => ({ frequency: m.frequency, damping: m.damping, shape: Array.from(m.shape) })),
    harmonics: s.harmonics,
    faults: [...new Set(s.faults.map((f) => f.channel))],
  };
  writeFileSync(truth, JSON.stringify(file));
  return { csv, truth };
}

/** Child: analyse one case with the defaults; returns the result (the caller prints it as JSON). */
export async function runScenarioChild(
  name: string,
  csv: string,
  truthPath: string,
  peakRssMB: () => number,
): Promise<ScenarioResult> {
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as TruthFile;
  const m = await readCsv(csv);
  const fs = m.fs ?? truth.fs;
  const modes: TrueMode[] = truth.modes.map((t) => ({ ...t, shape: Float64Array.from(t.shape) }));
  const methods: Record<string, MethodScore> = {};
  for (const method of ['fdd', 'efdd', 'ssi'] as const) {
    const t = performance.now();
    const r = await analyzeRecord(m.channels, fs, { method, channelNames: m.names });
    const seconds = (performance.now() - t) / 1000;
    const found = score(
      method === 'fdd' ? r.modes.map((x): Mode => ({ ...x, damping: Number.NaN })) : r.modes,
      modes,
      method !== 'fdd',
    );
    const codes = new Map<string, number>();
    for (const d of r.diagnostics)
      if (d.severity === 'warning') codes.set(d.code, (codes.get(d.code) ?? 0) + 1);
    methods[method] = {
      found: found.found,
      expected: found.expected,
      spurious: found.spurious,
      meanFrequencyErrorPct: round(found.meanFrequencyErrorPct, 3),
      meanDampingErrorPct: Number.isFinite(found.meanDampingErrorPct)
        ? round(found.meanDampingErrorPct, 1)
        : null,
      minMac: Number.isFinite(found.minMac) ? round(found.minMac, 3) : null,
      harmonics: r.harmonics.map((h) => h.frequency.toFixed(2)).join(' '),
      band: `${r.band.fmax} Hz /${r.band.decimate}`,
      warnings: [...codes].map(([c, k]) => (k > 1 ? `${c}×${k}` : c)).join(' '),
      seconds: round(seconds, 2),
    };
  }
  return {
    case: name,
    channels: m.channels.length,
    samples: m.channels[0]?.length ?? 0,
    harmonicsTrue: truth.harmonics,
    faultyChannels: truth.faults,
    peakRssMB: peakRssMB(),
    methods,
  };
}

export function printScenario(r: ScenarioResult): void {
  console.log(
    `\n== ${r.case}: ${r.channels} channels × ${r.samples} samples, defaults; peak RSS ${r.peakRssMB} MB` +
      (r.harmonicsTrue.length > 0 ? `; harmonics at ${r.harmonicsTrue.join(', ')} Hz` : '') +
      (r.faultyChannels.length > 0 ? `; faulty channels ${r.faultyChannels.join(', ')}` : ''),
  );
  console.log(
    'method  found  spurious  mean |Δf| %  mean |Δζ| %  min MAC   time s  band        harmonics     warnings',
  );
  for (const [method, a] of Object.entries(r.methods)) {
    console.log(
      `${method.padEnd(6)}  ${`${a.found}/${a.expected}`.padStart(5)}  ${String(a.spurious).padStart(8)}  ${a.meanFrequencyErrorPct.toFixed(3).padStart(11)}  ${(a.meanDampingErrorPct === null ? '-' : a.meanDampingErrorPct.toFixed(1)).padStart(11)}  ${(a.minMac === null ? '-' : a.minMac.toFixed(3)).padStart(7)}  ${a.seconds.toFixed(2).padStart(7)}  ${a.band.padEnd(10)}  ${(a.harmonics || '-').padEnd(12)}  ${a.warnings || '-'}`,
    );
  }
}

function round(v: number, d: number): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}
