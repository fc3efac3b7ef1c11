/**
 * The OMA result as the plots read it. The result JSON grows (diagnostics, harmonics, the band,
 * per-mode uncertainty, `frequency_std` becoming `order_spread`), so every field is read
 * defensively here, in one place: what is missing or malformed is left out, never guessed.
 * Used by the console and by the self-contained report (`stagecoach oma report`).
 */

export interface PlotMode {
  readonly index: number;
  readonly frequency: number;
  readonly damping: number | undefined;
  readonly shape: readonly (number | undefined)[];
  /** Statistical standard deviations of the estimate (engine `uncertainty`), when given. */
  readonly frequencyStd: number | undefined;
  readonly dampingStd: number | undefined;
  /** Spread of the SSI cluster over the model orders (`order_spread`; old results: `frequencyStd`). */
  readonly spreadFrequency: number | undefined;
  readonly mpc: number | undefined;
  readonly mpd: number | undefined;
  readonly order: number | undefined;
  readonly error: string | undefined;
}

export interface Pole {
  readonly order: number;
  readonly frequency: number;
  readonly damping: number | undefined;
  readonly stable: boolean;
  /** Index into the modes of the cluster the pole became part of, or -1. */
  readonly mode: number;
}

export interface Spectrum {
  readonly frequencies: readonly number[];
  /** values[i][k]: i-th singular value at line k, descending in i. */
  readonly values: readonly (readonly (number | null)[])[];
  /** Where it came from when not from this result (e.g. an FDD analysis of the same dataset). */
  readonly source?: string;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly fix?: string;
  readonly mode?: number;
}

export interface PlotResult {
  readonly method: string;
  readonly fs: number | undefined;
  readonly channels: readonly string[];
  readonly modes: readonly PlotMode[];
  readonly mac: readonly (readonly (number | undefined)[])[];
  readonly poles: readonly Pole[] | undefined;
  readonly spectrum: Spectrum | undefined;
  readonly warnings: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function mode(raw: unknown, index: number): PlotMode | undefined {
  const m = obj(raw);
  const frequency = num(m?.frequency);
  if (m === undefined || frequency === undefined) return undefined;
  const uncertainty = obj(m.uncertainty);
  const spread = obj(m.order_spread);
  return {
    index,
    frequency,
    damping: num(m.damping),
    shape: arr(m.shape).map(num),
    frequencyStd: num(uncertainty?.frequency_std) ?? num(uncertainty?.frequencyStd),
    dampingStd: num(uncertainty?.damping_std) ?? num(uncertainty?.dampingStd),
    spreadFrequency: num(spread?.frequency) ?? num(m.frequencyStd) ?? num(m.frequency_std),
    mpc: num(m.mpc),
    mpd: num(m.mpd),
    order: num(m.order),
    error: str(m.error),
  };
}

export function spectrumOf(raw: unknown, source?: string): Spectrum | undefined {
  const sv = obj(raw);
  const frequencies = arr(sv?.frequencies).map((f) => num(f) ?? Number.NaN);
  const values = arr(sv?.values).map((row) => arr(row).map((v) => num(v) ?? null));
  if (frequencies.length < 2 || values.length === 0) return undefined;
  return { frequencies, values, ...(source === undefined ? {} : { source }) };
}

export function readResult(raw: unknown): PlotResult | undefined {
  const r = obj(raw);
  if (r === undefined) return undefined;
  const modes = arr(r.modes).flatMap((m, i) => {
    const read = mode(m, i);
    return read === undefined ? [] : [read];
  });
  const stabilization = obj(r.stabilization);
  const poles =
    stabilization === undefined
      ? undefined
      : arr(stabilization.poles).flatMap((raw): Pole[] => {
          const p = obj(raw);
          const order = num(p?.order);
          const frequency = num(p?.frequency);
          if (p === undefined || order === undefined || frequency === undefined) return [];
          return [
            { order, frequency, damping: num(p.damping), stable: p.stable === true, mode: num(p.mode) ?? -1 },
          ];
        });
  const diagnostics = arr(r.diagnostics).flatMap((raw): Diagnostic[] => {
    const d = obj(raw);
    const message = str(d?.message);
    if (d === undefined || message === undefined) return [];
    const fix = str(d.fix);
    const m = num(d.mode);
    return [
      {
        code: str(d.code) ?? 'NOTE',
        severity: str(d.severity) ?? 'info',
        message,
        ...(fix === undefined ? {} : { fix }),
        ...(m === undefined ? {} : { mode: m }),
      },
    ];
  });
  return {
    method: str(r.method) ?? 'unknown',
    fs: num(r.fs),
    channels: arr(r.channels).map((c, i) => str(c) ?? `ch${i + 1}`),
    modes,
    mac: arr(r.macMatrix ?? r.mac_matrix).map((row) => arr(row).map(num)),
    poles,
    spectrum: spectrumOf(r.singularValues ?? r.singular_values),
    warnings: arr(r.warnings).flatMap((w) => (typeof w === 'string' ? [w] : [])),
    diagnostics,
  };
}

/** The modes as CSV, one row per mode (empty cells where a value is unknown). */
export function modesCsv(result: PlotResult): string {
  const cell = (v: number | undefined): string => (v === undefined ? '' : String(v));
  const header = [
    'mode',
    'frequency_hz',
    'damping',
    'frequency_std_hz',
    'damping_std',
    'order_spread_hz',
    'mpc',
    'mpd_deg',
    ...result.channels.map((c) => `shape_${c}`),
  ];
  const rows = result.modes.map((m) =>
    [
      String(m.index + 1),
      cell(m.frequency),
      cell(m.damping),
      cell(m.frequencyStd),
      cell(m.dampingStd),
      cell(m.spreadFrequency),
      cell(m.mpc),
      cell(m.mpd),
      ...result.channels.map((_, i) => cell(m.shape[i])),
    ].join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
