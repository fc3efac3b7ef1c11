import { type Command, InvalidArgumentError } from 'commander';
import { StagecoachError, ValidationError } from '../core/errors.js';
import {
  type AnalyzeOptions,
  analyzeRecord,
  // The engine's bad-option error is this command's usage error (exit 2).
  InvalidOptionError as InvalidParamError,
  type Mode,
  type OmaResult,
  readCsv,
} from '../oma/index.js';

/**
 * `stagecoach analyze <file.csv>`: the OMA engine on a CSV file, without the pipeline.
 * Exit codes: 0 success, 2 usage (bad options), 1 bad data or failure. Errors are one line on
 * stderr, never a stack trace.
 */
interface AnalyzeFlags {
  readonly fs?: number;
  readonly method: string;
  readonly decimate?: number | 'auto';
  readonly br?: number;
  readonly orderMax?: number;
  readonly nperseg?: number;
  readonly fmin?: number;
  readonly fmax?: number;
  readonly json?: boolean;
}

const positive =
  (name: string) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isFinite(v) || v <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'.`);
    return v;
  };

const nonNegative =
  (name: string) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isFinite(v) || v < 0)
      throw new InvalidArgumentError(`${name} must be a number ≥ 0, got '${value}'.`);
    return v;
  };

const integer =
  (name: string, min: number) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${value}'.`);
    return v;
  };

const decimation = (value: string): number | 'auto' =>
  value === 'auto' ? 'auto' : integer('--decimate', 1)(value);

export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description('Identify the modes of a multichannel acceleration CSV file (FDD, EFDD or SSI-cov)')
    .argument(
      '<file.csv>',
      'measurement file: one column per channel, optional header row and leading time column',
    )
    .option('--fs <Hz>', 'sampling rate (optional when the file has a time column)', positive('--fs'))
    .option('--method <method>', 'fdd | efdd | ssi', 'ssi')
    .option('--decimate <q>', "integer decimation factor, or 'auto' (new Nyquist ≥ 2.5·fmax)", decimation)
    .option('--br <n>', 'SSI block rows (default from fs and fmin)', integer('--br', 2))
    .option(
      '--order-max <n>',
      'SSI highest model order (default 100, capped by the Toeplitz size)',
      integer('--order-max', 2),
    )
    .option(
      '--nperseg <n>',
      'Welch segment length for FDD/EFDD (default: largest power of two ≤ N/8)',
      integer('--nperseg', 8),
    )
    .option('--fmin <Hz>', 'lowest frequency of interest', nonNegative('--fmin'))
    .option('--fmax <Hz>', 'highest frequency of interest (default min(0.4·fs, 25 Hz))', positive('--fmax'))
    .option('--json', 'print {"modes": [...], "timings_s": {...}} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  stagecoach analyze record.csv --fs 200 --method ssi --fmax 20 --json\n  stagecoach analyze record.csv --method efdd   # fs from the time column',
    )
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    })
    .action(async (file: string, flags: AnalyzeFlags) => {
      process.exitCode = await runAnalyze(file, flags);
    });
}

async function runAnalyze(file: string, flags: AnalyzeFlags): Promise<number> {
  const method = flags.method;
  if (method !== 'fdd' && method !== 'efdd' && method !== 'ssi') {
    console.error(`error: --method must be fdd, efdd or ssi, got '${method}'.`);
    return 2;
  }
  try {
    const t0 = performance.now();
    const measurement = await readCsv(file, flags.fs !== undefined ? { fs: flags.fs } : {});
    const load = (performance.now() - t0) / 1000;
    const fs = measurement.fs;
    if (fs === undefined) {
      console.error(`error: ${file} has no time column to derive the sampling rate from; pass --fs <Hz>.`);
      return 2;
    }
    const options: AnalyzeOptions = {
      method,
      ...(flags.decimate !== undefined ? { decimate: flags.decimate } : {}),
      ...(flags.br !== undefined ? { br: flags.br } : {}),
      ...(flags.orderMax !== undefined ? { orderMax: flags.orderMax } : {}),
      ...(flags.nperseg !== undefined ? { nperseg: flags.nperseg } : {}),
      ...(flags.fmin !== undefined ? { fmin: flags.fmin } : {}),
      ...(flags.fmax !== undefined ? { fmax: flags.fmax } : {}),
    };
    const result = await analyzeRecord(measurement.channels, fs, options);
    const timings = { load, ...result.timings, total: load + (result.timings.total ?? 0) };
    for (const w of [...measurement.warnings, ...result.warnings]) console.error(`warning: ${w}`);
    if (flags.json) {
      console.log(JSON.stringify({ modes: result.modes.map(modeJson), timings_s: roundAll(timings) }));
    } else {
      printTable(file, measurement.names, result, timings);
    }
    return 0;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof InvalidParamError) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof ValidationError || error instanceof StagecoachError) {
    console.error(`error: ${error.message}`);
    return 1;
  }
  if (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'EACCES')
  ) {
    console.error(`error: cannot read the file: ${error.message}`);
    return 1;
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

function modeJson(m: Mode): Record<string, unknown> {
  const out: Record<string, unknown> = {
    frequency: m.frequency,
    damping: Number.isFinite(m.damping) ? m.damping : null,
    shape: Array.from(m.shape),
  };
  if (m.frequencyStd !== undefined) out.frequency_std = m.frequencyStd;
  if (m.dampingStd !== undefined) out.damping_std = m.dampingStd;
  if (m.order !== undefined) out.order = m.order;
  if (m.poles !== undefined) out.poles = m.poles;
  if (m.mpc !== undefined) out.mpc = m.mpc;
  if (m.mpd !== undefined) out.mpd = m.mpd;
  if (m.error !== undefined) out.error = m.error;
  return out;
}

function roundAll(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}

function printTable(
  file: string,
  names: readonly string[],
  r: OmaResult,
  timings: Record<string, number>,
): void {
  const p = r.parameters;
  const label = { fdd: 'FDD', efdd: 'EFDD', ssi: 'SSI-cov' }[r.method];
  console.log(
    `${file}: ${p.channels} channels, ${p.samples} samples at ${fmt(r.fs, 4)} Hz (decimated ×${p.decimate} from ${p.fsInput} Hz)`,
  );
  const detail =
    r.method === 'ssi'
      ? `br=${p.br}, orders ${p.orderMin}..${p.orderMax} step ${p.orderStep}`
      : `nperseg=${p.nperseg}`;
  console.log(`${label}, band up to ${p.fmax} Hz, ${detail}\n`);
  const rows = r.modes.map((m, i) => [
    String(i + 1),
    fmt(m.frequency, 4),
    m.frequencyStd === undefined ? '' : fmt(m.frequencyStd, 4),
    Number.isFinite(m.damping) ? fmt(100 * m.damping, 2) : '-',
    m.dampingStd === undefined ? '' : fmt(100 * m.dampingStd, 2),
    m.mpc === undefined ? '' : fmt(m.mpc, 3),
    m.order === undefined ? '' : String(m.order),
    m.error ?? '',
  ]);
  table(['mode', 'f [Hz]', 'σf [Hz]', 'ζ [%]', 'σζ [%]', 'MPC', 'order', 'note'], rows);
  if (r.modes.length > 0) {
    console.log('\nMode shapes (unit max):');
    table(
      ['channel', ...r.modes.map((_, i) => `mode ${i + 1}`)],
      names.map((name, c) => [name, ...r.modes.map((m) => fmt(m.shape[c] ?? 0, 3))]),
    );
  }
  console.log(
    `\nTimings [s]: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}`,
  );
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padStart(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}
