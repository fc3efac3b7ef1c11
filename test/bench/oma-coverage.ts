/**
 * Coverage of the modal uncertainty: `npm run bench:oma -- --coverage` (or `npm run
 * bench:oma-coverage`), options --seeds <n> (default 50), --duration <s> (default 1800),
 * --structure frame|close (default frame).
 *
 * The same structure is simulated with independent excitation and noise (seeds 1..n), each record
 * is preprocessed once (400 Hz → 100 Hz) and identified by SSI-cov, EFDD and FDD with their
 * defaults. Per method and mode the table compares the σ the engine reports (RMS over the
 * records) with the scatter of its estimates over the records (their standard deviation): the
 * ratio should be 1 (issue criterion: within ±30 % for SSI and EFDD), and ~95 % of the errors
 * should lie within ±2σ. Au's uncertainty law (Au 2014, "Uncertainty law in ambient modal
 * identification — Part I", MSSP 48, for an unlimited band: c.o.v. of f √(ζ/(2πN_c)), of ζ
 * √(1/(2πζN_c)), N_c = f·T natural periods) is printed beside it as the theoretical reference
 * for a well-separated mode. The last line is one JSON object with every figure.
 */
import {
  analyzeRecord,
  type ModalModel,
  type Mode,
  modalModelFromMatrices,
  modalModelFromModes,
  preprocessRecord,
  randomOrthonormalShapes,
  shearFrame,
  simulateResponse,
} from '../../lib/oma/index.js';

const FS = 400;
const FMAX = 20;
const METHODS = ['ssi', 'efdd', 'fdd'] as const;
type Method = (typeof METHODS)[number];

/** The 5-storey frame of the accuracy tests (3.0, 8.8, 13.8, 17.7 Hz in the band; ζ 1–2 %). */
function frame(): ModalModel {
  const n = 5;
  const s = Math.sin(Math.PI / (2 * (2 * n + 1)));
  const k = ((2 * Math.PI * 3) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(n).fill(1000), Array(n).fill(k));
  return modalModelFromMatrices(mass, stiffness, n, [0.01, 0.015, 0.02, 0.02, 0.025]);
}

/** Six DOFs with a pair 2 % apart (7.00/7.14 Hz), as in the accuracy tests. */
function close(): ModalModel {
  return modalModelFromModes(
    [1.6, 4.2, 7.0, 7.14, 11.3, 16.8],
    [0.015, 0.01, 0.01, 0.01, 0.02, 0.015],
    randomOrthonormalShapes(6, 7),
  );
}

interface Sample {
  readonly f: number;
  readonly z: number;
  readonly sf: number;
  readonly sz: number;
}

export interface CoverageRow {
  method: Method;
  frequency: number;
  damping: number;
  found: number;
  f: Statistic;
  z: Statistic;
}

interface Statistic {
  /** Standard deviation of the estimates over the records. */
  scatter: number;
  /** RMS of the reported σ. */
  reported: number;
  ratio: number;
  /** Mean error in units of the scatter. */
  bias: number;
  /** Share of the records whose error is within ±2 reported σ. */
  within2: number;
  /** Au's law for this record length. */
  au: number;
}

function parseArgs(args: readonly string[]): { seeds: number; duration: number; structure: string } {
  const value = (name: string, fallback: string): string => {
    const at = args.indexOf(name);
    return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
  };
  return {
    seeds: Number(value('--seeds', '50')),
    duration: Number(value('--duration', '1800')),
    structure: value('--structure', 'frame'),
  };
}

/** The identified mode nearest in frequency to f (within 5 %), if any. */
function nearest(modes: readonly Mode[], f: number): Mode | undefined {
  let best: Mode | undefined;
  for (const m of modes)
    if (
      Math.abs(m.frequency / f - 1) < 0.05 &&
      (best === undefined || Math.abs(m.frequency - f) < Math.abs(best.frequency - f))
    )
      best = m;
  return best;
}

function statistic(estimates: number[], sigmas: number[], truth: number, au: number): Statistic {
  const n = estimates.length;
  const mean = estimates.reduce((a, b) => a + b, 0) / n;
  const scatter = Math.sqrt(estimates.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const reported = Math.sqrt(sigmas.reduce((a, b) => a + b * b, 0) / n);
  const within2 = estimates.filter((e, i) => Math.abs(e - truth) <= 2 * (sigmas[i] as number)).length / n;
  return { scatter, reported, ratio: reported / scatter, bias: (mean - truth) / scatter, within2, au };
}

export async function runCoverage(args: readonly string[]): Promise<void> {
  const { seeds, duration, structure } = parseArgs(args);
  const model = structure === 'close' ? close() : frame();
  const truth = Array.from(model.frequencies, (f, j) => ({ f, z: model.dampingRatios[j] as number })).filter(
    (t) => t.f <= FMAX,
  );
  const samples = new Map<string, Sample[]>();
  const seconds: Record<Method, { analysis: number; uncertainty: number }> = {
    ssi: { analysis: 0, uncertainty: 0 },
    efdd: { analysis: 0, uncertainty: 0 },
    fdd: { analysis: 0, uncertainty: 0 },
  };
  const t0 = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    const rec = await simulateResponse(model, { fs: FS, duration, seed, noiseFraction: 0.05 });
    const pre = await preprocessRecord(rec.channels, FS, { detrend: 'linear', decimate: 4 });
    for (const method of METHODS) {
      const result = await analyzeRecord(pre.channels, pre.fs, {
        method,
        fmax: FMAX,
        decimate: 1,
        detrend: 'none',
      });
      seconds[method].analysis += result.timings.total ?? 0;
      seconds[method].uncertainty += result.timings.uncertainty ?? 0;
      truth.forEach((t, j) => {
        const m = nearest(result.modes, t.f);
        const u = m?.uncertainty;
        if (m === undefined || u === undefined || !Number.isFinite(m.damping)) return;
        const key = `${method}:${j}`;
        const list = samples.get(key) ?? [];
        list.push({ f: m.frequency, z: m.damping, sf: u.frequencyStd, sz: u.dampingStd });
        samples.set(key, list);
      });
    }
    if (seed % 10 === 0)
      console.error(`${seed}/${seeds} records (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const rows: CoverageRow[] = [];
  for (const method of METHODS) {
    truth.forEach((t, j) => {
      const list = samples.get(`${method}:${j}`) ?? [];
      if (list.length < 3) return;
      // Au (2014): c.o.v. of f √(ζ/(2πN_c)), of ζ √(1/(2πζN_c)), N_c = f·T.
      const nc = t.f * duration;
      rows.push({
        method,
        frequency: t.f,
        damping: t.z,
        found: list.length,
        f: statistic(
          list.map((s) => s.f),
          list.map((s) => s.sf),
          t.f,
          t.f * Math.sqrt(t.z / (2 * Math.PI * nc)),
        ),
        z: statistic(
          list.map((s) => s.z),
          list.map((s) => s.sz),
          t.z,
          t.z * Math.sqrt(1 / (2 * Math.PI * t.z * nc)),
        ),
      });
    });
  }
  printTables(rows, { seeds, duration, structure }, seconds);
  console.log(
    JSON.stringify({
      benchmark: 'oma-coverage',
      node: process.version,
      seeds,
      duration,
      structure,
      seconds,
      rows,
    }),
  );
}

function printTables(
  rows: readonly CoverageRow[],
  run: { seeds: number; duration: number; structure: string },
  seconds: Record<Method, { analysis: number; uncertainty: number }>,
): void {
  console.log(
    `\n== coverage: ${run.structure}, ${run.seeds} records of ${run.duration} s (400 → 100 Hz, 5 % noise)`,
  );
  for (const method of METHODS) {
    const s = seconds[method];
    console.log(
      `\n${method.toUpperCase()} (per record: analysis ${(s.analysis / run.seeds).toFixed(2)} s, of which uncertainty ${(s.uncertainty / run.seeds).toFixed(3)} s)`,
    );
    console.log(
      ' f [Hz]  ζ [%]  found |  sd(f̂) [Hz]  RMS σf   σf/sd  |bias|/sd  in ±2σ  Au σf  |  sd(ζ̂) [%]  RMS σζ   σζ/sd  |bias|/sd  in ±2σ  Au σζ',
    );
    for (const r of rows.filter((x) => x.method === method)) {
      const cells = (s: Statistic, scale: number, digits: number) =>
        `${(s.scatter * scale).toFixed(digits).padStart(11)}  ${(s.reported * scale).toFixed(digits).padStart(7)}  ${s.ratio.toFixed(2).padStart(5)}  ${Math.abs(s.bias).toFixed(2).padStart(9)}  ${`${Math.round(100 * s.within2)} %`.padStart(6)}  ${(s.au * scale).toFixed(digits).padStart(6)}`;
      console.log(
        `${r.frequency.toFixed(2).padStart(7)}  ${(100 * r.damping).toFixed(2).padStart(5)}  ${String(r.found).padStart(5)} | ${cells(r.f, 1, 4)}  | ${cells(r.z, 100, 3)}`,
      );
    }
  }
  const checked = rows.filter((r) => r.method !== 'fdd');
  const off = checked.filter((r) => [r.f.ratio, r.z.ratio].some((x) => x < 0.7 || x > 1.3));
  console.log(
    off.length === 0
      ? "\nSSI and EFDD: every mode's σ/sd within ±30 %."
      : `\nOutside ±30 %: ${off.map((r) => `${r.method} ${r.frequency.toFixed(2)} Hz (f ${r.f.ratio.toFixed(2)}, ζ ${r.z.ratio.toFixed(2)})`).join('; ')}`,
  );
}
