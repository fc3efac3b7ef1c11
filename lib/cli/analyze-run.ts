import {
  type AnalyzeOptions,
  analyzeRecord,
  InvalidOptionError,
  type Mode,
  OmaError,
  type OmaResult,
  readCsv,
  toJsonValue,
} from '../oma/index.js';

/** The options of `stagecoach analyze`, as commander parsed them. */
export interface AnalyzeFlags {
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

/** Runs the engine for `stagecoach analyze`; returns the exit code. */
export async function runAnalyze(file: string, flags: AnalyzeFlags): Promise<number> {
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
  // A bad option is a usage error (exit 2); bad data or a numerical failure is exit 1.
  if (error instanceof InvalidOptionError) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof OmaError) {
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
  if (m.uncertainty !== undefined) out.uncertainty = toJsonValue(m.uncertainty, true);
  if (m.orderSpread !== undefined) out.order_spread = toJsonValue(m.orderSpread, true);
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
    m.uncertainty === undefined ? '' : fmt(m.uncertainty.frequencyStd, 4),
    Number.isFinite(m.damping) ? fmt(100 * m.damping, 2) : '-',
    m.uncertainty === undefined || !Number.isFinite(m.uncertainty.dampingStd)
      ? ''
      : fmt(100 * m.uncertainty.dampingStd, 2),
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
