import {
  type AnalyzeOptions,
  analyzeRecord,
  type Diagnostic,
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
  readonly exclude?: string;
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
    const exclude = flags.exclude === undefined ? undefined : channelList(flags.exclude, measurement.names);
    if (typeof exclude === 'string') {
      console.error(`error: ${exclude}`);
      return 2;
    }
    const options: AnalyzeOptions = {
      method,
      channelNames: measurement.names,
      ...(exclude !== undefined ? { excludeChannels: exclude } : {}),
      ...(flags.decimate !== undefined ? { decimate: flags.decimate } : {}),
      ...(flags.br !== undefined ? { br: flags.br } : {}),
      ...(flags.orderMax !== undefined ? { orderMax: flags.orderMax } : {}),
      ...(flags.nperseg !== undefined ? { nperseg: flags.nperseg } : {}),
      ...(flags.fmin !== undefined ? { fmin: flags.fmin } : {}),
      ...(flags.fmax !== undefined ? { fmax: flags.fmax } : {}),
    };
    const result = await analyzeRecord(measurement.channels, fs, options);
    const timings = { load, ...result.timings, total: load + (result.timings.total ?? 0) };
    const diagnostics: Diagnostic[] = [
      ...measurement.warnings.map((message): Diagnostic => ({ code: 'CSV', severity: 'warning', message })),
      ...result.diagnostics,
    ];
    for (const d of diagnostics) if (d.severity === 'warning') console.error(`warning: ${line(d)}`);
    if (flags.json) {
      console.log(
        JSON.stringify({
          modes: result.modes.map(modeJson),
          band: result.band,
          harmonics: toJsonValue(result.harmonics),
          diagnostics: toJsonValue(diagnostics),
          excluded_channels: result.excluded_channels,
          timings_s: roundAll(timings),
        }),
      );
    } else {
      printTable(file, measurement.names, result, diagnostics, timings);
    }
    return 0;
  } catch (error) {
    return report(error);
  }
}

/** `--exclude a,3,b` → 0-based indices; a message naming the unknown entry otherwise. */
function channelList(text: string, names: readonly string[]): number[] | string {
  const out: number[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const byName = names.indexOf(item);
    const index = byName >= 0 ? byName : /^\d+$/.test(item) ? Number(item) : -1;
    if (index < 0 || index >= names.length)
      return `--exclude: '${item}' is neither a channel name nor a 0-based index below ${names.length} (channels: ${names.join(', ')}).`;
    out.push(index);
  }
  return out;
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
    shape: Array.from(m.shape, (v) => (Number.isFinite(v) ? v : null)),
  };
  if (m.uncertainty !== undefined) out.uncertainty = toJsonValue(m.uncertainty, true);
  if (m.orderSpread !== undefined) out.order_spread = toJsonValue(m.orderSpread, true);
  if (m.order !== undefined) out.order = m.order;
  if (m.poles !== undefined) out.poles = m.poles;
  if (m.mpc !== undefined) out.mpc = m.mpc;
  if (m.mpd !== undefined) out.mpd = m.mpd;
  if (m.error !== undefined) out.error = m.error;
  if (m.expected !== undefined) out.expected = toJsonValue(m.expected);
  return out;
}

function roundAll(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}

function line(d: Diagnostic): string {
  return `${d.message}${d.fix === undefined ? '' : ` — fix: ${d.fix}`} [${d.code}]`;
}

function printTable(
  file: string,
  names: readonly string[],
  r: OmaResult,
  diagnostics: readonly Diagnostic[],
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
  console.log(`${label}, band up to ${p.fmax} Hz, ${detail}`);
  console.log(`band ${r.band.fmin}–${r.band.fmax} Hz (${r.band.chosen}): ${r.band.reason}`);
  if (r.excluded_channels.length > 0)
    console.log(`left out: ${r.excluded_channels.map((c) => names[c] ?? String(c)).join(', ')}`);
  console.log('');
  const rows = r.modes.map((m, i) => [
    String(i + 1),
    fmt(m.frequency, 4),
    m.uncertainty === undefined ? '' : fmt(m.uncertainty.frequencyStd, 4),
    Number.isFinite(m.damping) ? fmt(100 * m.damping, 2) : '-',
    m.uncertainty === undefined || !Number.isFinite(m.uncertainty.dampingStd)
      ? ''
      : fmt(100 * m.uncertainty.dampingStd, 2),
    m.expected === undefined || !Number.isFinite(m.expected.damping_cv)
      ? ''
      : `±${Math.round(100 * m.expected.damping_cv)}`,
    m.mpc === undefined ? '' : fmt(m.mpc, 3),
    m.order === undefined ? '' : String(m.order),
    m.error ?? '',
  ]);
  table(['mode', 'f [Hz]', 'σf [Hz]', 'ζ [%]', 'σζ [%]', 'expected δζ [%]', 'MPC', 'order', 'note'], rows);
  if (r.modes.length > 0) {
    console.log('\nMode shapes (unit max):');
    table(
      ['channel', ...r.modes.map((_, i) => `mode ${i + 1}`)],
      names.map((name, c) => [name, ...r.modes.map((m) => shapeCell(m.shape[c]))]),
    );
  }
  if (r.harmonics.length > 0) {
    console.log('\nHarmonics (not modes):');
    for (const h of r.harmonics)
      console.log(
        `  ${fmt(h.frequency, 4)} Hz  ${Object.entries(h.evidence)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
          .join(', ')}`,
      );
  }
  if (diagnostics.length > 0) {
    console.log('\nDiagnostics:');
    for (const d of diagnostics) {
      console.log(`  ${d.severity === 'warning' ? 'warning' : 'info   '} ${d.code}: ${d.message}`);
      if (d.fix !== undefined) console.log(`          fix: ${d.fix}`);
    }
  }
  console.log(
    `\nTimings [s]: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')}`,
  );
}

function shapeCell(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : fmt(v, 3);
}

function fmt(v: number, digits: number): string {
  return v.toFixed(digits);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const row = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padStart(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(row(head));
  for (const r of rows) console.log(row(r));
}
