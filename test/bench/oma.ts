/**
 * OMA engine benchmark: `npm run bench:oma` (options: --case <name> to run one case;
 * --coverage for the uncertainty coverage over many records, oma-coverage.ts).
 *
 * For every case the parent process generates a synthetic structure's response and writes it as
 * CSV to a temporary file (untimed), then runs the analysis in a fresh child process so that its
 * peak RSS (VmHWM) covers the analysis only. The child times:
 *   load        CSV file → channel arrays (readCsv)
 *   preprocess  linear detrend + decimation (defaults from fs and fmax)
 *   fdd         Welch CSD + SVD per line + peak picking (analyzeRecord, method efdd)
 *   efdd        the EFDD damping/frequency step on those peaks
 *   ssi         correlations + Toeplitz SVD + poles for all orders + stabilization/clustering
 * and compares the modes with the true ones (frequency and damping errors, MAC).
 * Each case prints a table; the last line is one JSON object with every figure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  analyzeRecord,
  defaultDecimation,
  type ModalModel,
  type Mode,
  mac,
  modalModelFromMatrices,
  modalModelFromModes,
  preprocessRecord,
  randomOrthonormalShapes,
  readCsv,
  shearFrame,
  simulateResponse,
  writeCsv,
} from '../../lib/oma/index.js';
import { runCoverage } from './oma-coverage.js';

interface BenchCase {
  readonly name: string;
  readonly fs: number;
  readonly duration: number;
  readonly fmax: number;
  readonly model: () => ModalModel;
}

/** A uniform N-storey shear frame with first frequency f1 and damping growing 1 % → 2 %. */
function frame(storeys: number, f1: number): ModalModel {
  // For a uniform frame ω₁ = 2√(k/m) sin(π/(2(2N+1))).
  const s = Math.sin(Math.PI / (2 * (2 * storeys + 1)));
  const k = ((2 * Math.PI * f1) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(storeys).fill(1000), Array(storeys).fill(k));
  const damping = Array.from({ length: storeys }, (_, j) => 0.01 + (0.01 * j) / Math.max(1, storeys - 1));
  return modalModelFromMatrices(mass, stiffness, storeys, damping);
}

const CASES: readonly BenchCase[] = [
  { name: '24ch-400Hz-1h', fs: 400, duration: 3600, fmax: 15, model: () => frame(24, 1) },
  { name: '24ch-400Hz-10min', fs: 400, duration: 600, fmax: 15, model: () => frame(24, 1) },
  {
    name: '6ch-200Hz-20min-close',
    fs: 200,
    duration: 1200,
    fmax: 20,
    model: () =>
      modalModelFromModes(
        [1.6, 4.2, 7.0, 7.14, 11.3, 16.8],
        [0.015, 0.01, 0.01, 0.01, 0.02, 0.015],
        randomOrthonormalShapes(6, 7),
      ),
  },
];

interface Accuracy {
  found: number;
  expected: number;
  spurious: number;
  meanFrequencyErrorPct: number;
  meanDampingErrorPct: number;
  minMac: number;
}

interface CaseResult {
  case: string;
  channels: number;
  samples: number;
  csvMB: number;
  /**
   * fdd: spectrum + peaks; efdd: its bell fits plus its uncertainty (efddUncertainty); ssi: the
   * default SSI, uncertainty included (ssiUncertainty: its propagation; ssiWithout: the same SSI
   * with uncertainty off, so ssi − ssiWithout is everything the uncertainty costs).
   */
  seconds: {
    load: number;
    preprocess: number;
    fdd: number;
    efdd: number;
    efddUncertainty: number;
    ssi: number;
    ssiUncertainty: number;
    ssiWithout: number;
  };
  loadPreprocessSsi: number;
  fddEfdd: number;
  peakRssMB: number;
  /** Time from the moment an abort was requested (100 ms into the analysis) to the rejection. */
  abortLatencyMs: { fdd: number; ssi: number };
  accuracy: { fdd: Accuracy; efdd: Accuracy; ssi: Accuracy };
}

interface TruthFile {
  fs: number;
  fmax: number;
  modes: { frequency: number; damping: number; shape: number[] }[];
}

function accuracy(modes: readonly Mode[], truth: TruthFile['modes'], withDamping: boolean): Accuracy {
  const used = new Set<number>();
  let fErr = 0;
  let zErr = 0;
  let zCount = 0;
  let minMac = 1;
  let found = 0;
  for (const t of truth) {
    let best = -1;
    let bestMac = 0;
    modes.forEach((m, i) => {
      if (used.has(i) || Math.abs(m.frequency - t.frequency) > 0.05 * t.frequency) return;
      const v = mac({ re: Float64Array.from(t.shape) }, { re: m.shape });
      if (v > bestMac) {
        bestMac = v;
        best = i;
      }
    });
    const m = modes[best];
    if (m === undefined) continue;
    used.add(best);
    found++;
    fErr += Math.abs(m.frequency - t.frequency) / t.frequency;
    if (withDamping && Number.isFinite(m.damping)) {
      zErr += Math.abs(m.damping - t.damping) / t.damping;
      zCount++;
    }
    minMac = Math.min(minMac, bestMac);
  }
  return {
    found,
    expected: truth.length,
    spurious: modes.length - used.size,
    meanFrequencyErrorPct: round((100 * fErr) / Math.max(1, found), 4),
    meanDampingErrorPct: withDamping ? round((100 * zErr) / Math.max(1, zCount), 2) : Number.NaN,
    minMac: round(minMac, 5),
  };
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Peak resident set of this process in MB. On Linux, VmHWM of /proc/self/status is the high-water
 * mark of this process image; getrusage's ru_maxrss (process.resourceUsage().maxRSS) is not
 * usable for a spawned child because Linux carries the parent's value across fork and exec.
 * Elsewhere, the largest RSS sampled during the run.
 */
let sampledPeak = 0;
const sampler = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
}, 20);
sampler.unref();

function peakRssMB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm?.[1] !== undefined) return Math.round(Number(hwm[1]) / 1024);
  } catch {
    // not Linux: fall back to sampling
  }
  return Math.round(Math.max(sampledPeak, process.memoryUsage().rss) / (1024 * 1024));
}

/**
 * Runs an analysis and asks it to abort 100 ms in; returns the time from that moment to the
 * rejection. Measured from the scheduled moment (not from when the timer callback ran), so the
 * synchronous stretch the abort had to wait for is included — as it would be for a control
 * message arriving at that moment.
 */
async function abortLatency(
  channels: Float64Array[],
  fs: number,
  method: 'fdd' | 'ssi',
  fmax: number,
): Promise<number> {
  const controller = new AbortController();
  const scheduled = performance.now() + 100;
  const timer = setTimeout(() => controller.abort('benchmark abort'), 100);
  try {
    await analyzeRecord(
      channels,
      fs,
      { method, fmax, decimate: 1, detrend: 'none' },
      { signal: controller.signal },
    );
    return Number.NaN; // finished before the abort
  } catch {
    return round(performance.now() - scheduled, 1);
  } finally {
    clearTimeout(timer);
  }
}

/** Child: analyse one CSV file and print the CaseResult as JSON. */
async function runChild(name: string, csv: string, truthPath: string): Promise<void> {
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as TruthFile;
  let t = performance.now();
  const m = await readCsv(csv);
  const load = (performance.now() - t) / 1000;
  const fs = m.fs ?? truth.fs;
  t = performance.now();
  const q = defaultDecimation(fs, truth.fmax);
  const pre = await preprocessRecord(m.channels, fs, { detrend: 'linear', decimate: q });
  m.channels.length = 0; // the raw record is no longer needed
  const preprocess = (performance.now() - t) / 1000;
  const common = { fmax: truth.fmax, decimate: 1, detrend: 'none' as const };
  const fddResult = await analyzeRecord(pre.channels, pre.fs, { method: 'fdd', ...common });
  const fdd = (fddResult.timings.spectrum ?? 0) + (fddResult.timings.peaks ?? 0);
  const fddModes = fddResult.modes.map((mode) => ({ ...mode, damping: Number.NaN }));
  const efddResult = await analyzeRecord(pre.channels, pre.fs, { method: 'efdd', ...common });
  const efddUncertainty = efddResult.timings.uncertainty ?? 0;
  const efdd = (efddResult.timings.efdd ?? 0) + efddUncertainty;
  const ssiSeconds = (t: Readonly<Record<string, number>>): number =>
    (t.correlations ?? 0) +
    (t.toeplitzSvd ?? 0) +
    (t.poles ?? 0) +
    (t.clustering ?? 0) +
    (t.uncertainty ?? 0);
  const ssiWithout = ssiSeconds(
    (await analyzeRecord(pre.channels, pre.fs, { method: 'ssi', ...common, uncertainty: false })).timings,
  );
  const ssiResult = await analyzeRecord(pre.channels, pre.fs, { method: 'ssi', ...common });
  const ssi = ssiSeconds(ssiResult.timings);
  const abortLatencyMs = {
    fdd: await abortLatency(pre.channels, pre.fs, 'fdd', truth.fmax),
    ssi: await abortLatency(pre.channels, pre.fs, 'ssi', truth.fmax),
  };
  const inBand = truth.modes.filter((x) => x.frequency <= truth.fmax);
  const result: CaseResult = {
    case: name,
    channels: pre.channels.length,
    samples: pre.channels.length > 0 ? Math.round((pre.channels[0]?.length ?? 0) * q) : 0,
    csvMB: round(statSync(csv).size / 1e6, 1),
    seconds: {
      load: round(load, 2),
      preprocess: round(preprocess, 2),
      fdd: round(fdd, 2),
      efdd: round(efdd, 3),
      efddUncertainty: round(efddUncertainty, 3),
      ssi: round(ssi, 2),
      ssiUncertainty: round(ssiResult.timings.uncertainty ?? 0, 3),
      ssiWithout: round(ssiWithout, 2),
    },
    loadPreprocessSsi: round(load + preprocess + ssi, 2),
    fddEfdd: round(fdd + efdd, 2),
    peakRssMB: peakRssMB(),
    abortLatencyMs,
    accuracy: {
      fdd: accuracy(fddModes, inBand, false),
      efdd: accuracy(efddResult.modes, inBand, true),
      ssi: accuracy(ssiResult.modes, inBand, true),
    },
  };
  console.log(JSON.stringify(result));
}

function printCase(r: CaseResult): void {
  console.log(`\n== ${r.case}: ${r.channels} channels × ${r.samples} samples, CSV ${r.csvMB} MB`);
  const s = r.seconds;
  console.log(
    `load ${s.load.toFixed(2)} s | preprocess ${s.preprocess.toFixed(2)} s | FDD ${s.fdd.toFixed(2)} s | EFDD ${s.efdd.toFixed(3)} s | SSI ${s.ssi.toFixed(2)} s | peak RSS ${r.peakRssMB} MB`,
  );
  console.log(
    `uncertainty: SSI ${s.ssiUncertainty.toFixed(3)} s propagation, SSI ${s.ssiWithout.toFixed(2)} s without it (+${(s.ssi - s.ssiWithout).toFixed(2)} s in all) | EFDD ${s.efddUncertainty.toFixed(3)} s`,
  );
  console.log(
    `load+preprocess+SSI ${r.loadPreprocessSsi.toFixed(2)} s (target < 25) | FDD+EFDD ${r.fddEfdd.toFixed(2)} s (target < 10)`,
  );
  console.log('method  found  spurious  mean |Δf| %  mean |Δζ| %  min MAC');
  for (const [method, a] of Object.entries(r.accuracy)) {
    const z = Number.isFinite(a.meanDampingErrorPct) ? a.meanDampingErrorPct.toFixed(2) : '-';
    console.log(
      `${method.padEnd(6)}  ${`${a.found}/${a.expected}`.padStart(5)}  ${String(a.spurious).padStart(8)}  ${a.meanFrequencyErrorPct.toFixed(4).padStart(11)}  ${z.padStart(11)}  ${a.minMac.toFixed(4).padStart(7)}`,
    );
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--coverage')) {
    await runCoverage(args);
    return;
  }
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    await runChild(args[childAt + 1] ?? '', args[childAt + 2] ?? '', args[childAt + 3] ?? '');
    return;
  }
  const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'stagecoach-bench-'));
  const results: CaseResult[] = [];
  try {
    for (const c of CASES.filter((x) => only === undefined || x.name === only)) {
      const csv = join(dir, `${c.name}.csv`);
      const truthPath = join(dir, `${c.name}.json`);
      const t = performance.now();
      const model = c.model();
      const rec = await simulateResponse(model, {
        fs: c.fs,
        duration: c.duration,
        seed: 2024,
        noiseFraction: 0.05,
      });
      await writeCsv(csv, rec.channels, { fs: c.fs });
      const truth: TruthFile = {
        fs: c.fs,
        fmax: c.fmax,
        modes: rec.modes.map((m) => ({
          frequency: m.frequency,
          damping: m.damping,
          shape: Array.from(m.shape),
        })),
      };
      writeFileSync(truthPath, JSON.stringify(truth));
      console.log(`generated ${c.name} in ${((performance.now() - t) / 1000).toFixed(1)} s (untimed)`);
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', self, '--child', c.name, csv, truthPath],
        {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      if (child.status !== 0) throw new Error(`case ${c.name} failed with exit code ${child.status}`);
      const line = child.stdout.trim().split('\n').pop() ?? '';
      const r = JSON.parse(line) as CaseResult;
      printCase(r);
      results.push(r);
      rmSync(csv, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ benchmark: 'oma', node: process.version, cases: results }));
}

await main();
