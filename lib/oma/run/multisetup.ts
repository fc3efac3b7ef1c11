import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import type { Channel } from '../io/csv.js';
import { macMatrix } from '../modal/mac.js';
import type { Mode, MultiSetupInfo, OmaResult } from '../modal/types.js';
import { multiSetupLayout } from '../multisetup/layout.js';
import { mergePoser, type PoserOptions } from '../multisetup/poser.js';
import { pregerIdentify } from '../multisetup/preger.js';
import { resample } from '../signal/resample.js';
import { clusterPolesAsync } from '../ssi/clustering.js';
import { DEFAULT_DAMPING_MAX } from '../ssi/defaults.js';
import { ssiEstimates } from '../ssi/estimates.js';
import { stabilizationDiagram } from '../ssi/stabilization.js';
import { type AnalyzeOptions, analyzeRecord } from './analyze.js';
import {
  checkBand,
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultDecimation,
  defaultFmax,
} from './defaults.js';
import { preprocessRecord } from './preprocess.js';

/**
 * Multi-setup analysis: several records of one structure that share reference sensors
 * (multisetup/layout.ts), merged into modes whose shapes span every measured DOF.
 *
 *  - Each setup is preprocessed as `analyzeRecord` would (detrend, decimation for fmax); setups
 *    left at different rates are resampled to the lowest (signal/resample.ts), with a warning.
 *  - `merge: 'poser'` (any method): each setup identified on its own, then paired and rescaled on
 *    the references (multisetup/poser.ts); each mode keeps every setup's estimate in `setups`.
 *  - `merge: 'preger'` (SSI only): one identification on the setups' merged observability
 *    matrices (multisetup/preger.ts), one stabilization diagram.
 */
export interface SetupRecord {
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly channelNames: readonly string[];
  readonly fs: number;
  /** Reference channels by name or index; the same sensors, in the same order, in every setup. */
  readonly references: readonly (string | number)[];
}

export interface MultiSetupOptions extends AnalyzeOptions {
  /** @default 'poser' */
  readonly merge?: 'poser' | 'preger';
  readonly poser?: PoserOptions;
}

export async function analyzeSetups(
  setups: readonly SetupRecord[],
  options: MultiSetupOptions,
  control: RunControl | Checkpoint = {},
): Promise<OmaResult> {
  const merge = options.merge ?? 'poser';
  if (merge !== 'poser' && merge !== 'preger')
    throw new InvalidOptionError('merge', `merge must be 'poser' or 'preger', got '${String(merge)}'`);
  if (merge === 'preger' && options.method !== 'ssi')
    throw new InvalidOptionError(
      'merge',
      `PreGER merges SSI's correlations; use it with method 'ssi' (got '${options.method}'), or merge 'poser'`,
    );
  const layout = multiSetupLayout(setups);
  const checkpoint = toCheckpoint(control);
  const warnings: string[] = [];
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const fmax = options.fmax ?? Math.min(...setups.map((s) => defaultFmax(s.fs)));
  // 1. Preprocess each setup, then bring them to one rate.
  const prepared: { channels: Float64Array[]; fs: number }[] = [];
  for (const [j, s] of setups.entries()) {
    checkBand(options.fmin, fmax, s.fs / 2);
    const q =
      options.decimate === undefined || options.decimate === 'auto'
        ? defaultDecimation(s.fs, fmax)
        : options.decimate;
    const pre = await preprocessRecord(
      s.channels,
      s.fs,
      {
        detrend: options.detrend ?? 'linear',
        decimate: q,
        ...(options.filter ? { filter: options.filter } : {}),
      },
      checkpoint.child((0.2 * j) / setups.length, (0.2 * (j + 1)) / setups.length),
    );
    prepared.push({ channels: pre.channels, fs: pre.fs });
  }
  const fs = Math.min(...prepared.map((p) => p.fs));
  if (fmax > fs / 2.5)
    throw new InvalidOptionError(
      'fmax',
      `fmax ${fmax} Hz is too close to the common rate's Nyquist frequency (${fs / 2} Hz)`,
    );
  prepared.forEach((p, j) => {
    if (Math.abs(p.fs - fs) <= 1e-9 * fs) return;
    warnings.push(
      `setup '${setups[j]?.name}' was recorded at ${setups[j]?.fs} Hz and analysed at ${p.fs} Hz, the others at ${fs} Hz: it was resampled to ${fs} Hz (anti-alias filter and band-limited interpolation) so that all setups share one rate`,
    );
    p.channels = p.channels.map((c) => resample(c, p.fs, fs));
    p.fs = fs;
  });
  timings.preprocess = (performance.now() - t0) / 1000;
  const info: MultiSetupInfo = {
    merge,
    dofs: layout.dofs,
    setups: setups.map((s, j) => ({
      name: s.name,
      fs,
      fsInput: s.fs,
      samples: prepared[j]?.channels[0]?.length ?? 0,
      references: (layout.setups[j]?.references ?? []).map((i) => s.channelNames[i] as string),
      rovers: (layout.setups[j]?.rovers ?? []).map((i) => s.channelNames[i] as string),
    })),
  };
  const parameters: Record<string, number | string | boolean | readonly number[]> = {
    method: options.method,
    merge,
    fs,
    fmax,
    setups: setups.length,
    dofs: layout.dofs.length,
  };
  const analysis = checkpoint.child(0.2, 1);
  let modes: Mode[];
  let extra: Partial<OmaResult> = {};
  t0 = performance.now();
  if (merge === 'poser') {
    const perSetup: Mode[][] = [];
    for (const [j, p] of prepared.entries()) {
      const name = setups[j]?.name ?? String(j);
      const result = await analyzeRecord(
        p.channels,
        fs,
        { ...options, fmax, decimate: 1, detrend: 'none' },
        analysis.child(j / prepared.length, (j + 1) / prepared.length),
      );
      perSetup.push([...result.modes]);
      for (const w of result.warnings) warnings.push(`setup '${name}': ${w}`);
      timings[`setup ${name}`] = result.timings.total ?? 0;
    }
    const merged = mergePoser(layout, perSetup, options.poser);
    modes = merged.modes;
    warnings.push(...merged.warnings);
  } else {
    const minChannels = Math.min(...prepared.map((p) => p.channels.length));
    const r = layout.referenceCount;
    const n = Math.min(...prepared.map((p) => p.channels[0]?.length ?? 0));
    const br =
      options.br ??
      defaultBlockRows(fs, options.fmin || fmax / 20, minChannels, options.orderMax ?? DEFAULT_ORDER_MAX);
    const orderMax =
      options.orderMax ?? Math.max(2, Math.min(DEFAULT_ORDER_MAX, (br - 1) * minChannels, br * r));
    if (n < 4 * br) throw new InsufficientDataError(`${n} samples are too few for ${br} block rows`);
    Object.assign(parameters, { br, orderMax });
    const ident = await pregerIdentify(
      prepared.map((p) => p.channels),
      layout,
      fs,
      {
        br,
        orderMax,
        ...(options.orderMin === undefined ? {} : { orderMin: options.orderMin }),
        ...(options.orderStep === undefined ? {} : { orderStep: options.orderStep }),
        fmin: options.fmin ?? 0,
        fmax,
        dampingMax: options.hardCriteria?.dampingMax ?? DEFAULT_DAMPING_MAX,
      },
      analysis.child(0, 0.9),
    );
    const diagram = stabilizationDiagram(ident, options.hardCriteria, options.stability);
    const clustered = await clusterPolesAsync(
      diagram,
      ident.orders.length,
      options.clustering ?? {},
      analysis.child(0.9, 0.95),
    );
    const estimates = await ssiEstimates(ident, diagram, clustered, fs, analysis.child(0.95, 1));
    modes = estimates.modes;
    warnings.push(...estimates.warnings);
    const poles = diagram.map(({ source: _source, ...pole }, i) => ({
      ...pole,
      mode: clustered.assignment[i] ?? -1,
    }));
    extra = { stabilization: { orders: ident.orders, poles } };
  }
  timings.identification = (performance.now() - t0) / 1000;
  timings.total = (timings.preprocess ?? 0) + (timings.identification ?? 0);
  checkpoint.report(1, 'multi-setup analysis done');
  return {
    method: options.method,
    fs,
    modes,
    ...extra,
    macMatrix: macMatrix(modes.map((m) => ({ re: m.shape.map((v) => (Number.isFinite(v) ? v : 0)) }))),
    timings,
    parameters,
    warnings,
    multiSetup: info,
  };
}
