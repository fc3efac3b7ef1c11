import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import { type EfddOptions, efdd } from '../fdd/efdd.js';
import { fddModes } from '../fdd/fdd.js';
import { lowestSpectralPeak } from '../fdd/lowest-peak.js';
import { type PeakOptions, pickPeaks } from '../fdd/peaks.js';
import { fddSpectrum } from '../fdd/spectrum.js';
import { DEFAULT_JACKKNIFE_GROUPS, fddUncertainty, MIN_JACKKNIFE_GROUPS } from '../fdd/uncertainty.js';
import type { Channel } from '../io/csv.js';
import { macMatrix } from '../modal/mac.js';
import type { Mode, OmaMethod, OmaResult } from '../modal/types.js';
import { DEFAULT_OVERLAP, defaultNperseg } from '../signal/defaults.js';
import type { DetrendMode } from '../signal/detrend.js';
import { type ClusteringOptions, clusterPolesAsync } from '../ssi/clustering.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from '../ssi/defaults.js';
import { ssiEstimates } from '../ssi/estimates.js';
import { ssiCov } from '../ssi/ssi.js';
import { type HardCriteria, type StabilityCriteria, stabilizationDiagram } from '../ssi/stabilization.js';
import {
  checkBand,
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultDecimation,
  defaultFmax,
  defaultOrderMax,
  defaultUncertaintyBlocks,
  MIN_UNCERTAINTY_BLOCKS,
} from './defaults.js';
import { type ButterworthFilterOptions, preprocessRecord } from './preprocess.js';

/**
 * The engine's entry point: preprocess a record and identify its modes with FDD, EFDD or SSI-cov,
 * with defaults chosen from the data (defaults.ts, signal/defaults.ts) for every parameter not given.
 */
export interface AnalyzeOptions {
  readonly method: OmaMethod;
  /** Lowest frequency of interest, Hz (modes below are not reported; sets SSI block rows). */
  readonly fmin?: number;
  /** Highest frequency of interest, Hz. @default min(0.4·fs, 25) */
  readonly fmax?: number;
  /** FDD/EFDD: explicit search bands in Hz (override [fmin, fmax]). */
  readonly bands?: readonly (readonly [number, number])[];
  /** Decimation factor, or 'auto' (new Nyquist ≥ 2.5·fmax). @default 'auto' */
  readonly decimate?: number | 'auto';
  /** @default 'linear' */
  readonly detrend?: DetrendMode;
  /** Optional zero-phase Butterworth filter applied after decimation. */
  readonly filter?: ButterworthFilterOptions;
  /** Welch segment length (FDD/EFDD). @default largest power of two ≤ N/8 */
  readonly nperseg?: number;
  /** Welch overlap fraction. @default 0.5 */
  readonly overlap?: number;
  readonly peaks?: Omit<PeakOptions, 'bands'>;
  readonly efdd?: EfddOptions;
  /** SSI block rows. @default from fs and fmin */
  readonly br?: number;
  readonly orderMin?: number;
  /** @default 100, capped by the Toeplitz size */
  readonly orderMax?: number;
  readonly orderStep?: number;
  readonly references?: readonly number[];
  readonly hardCriteria?: HardCriteria;
  readonly stability?: StabilityCriteria;
  readonly clustering?: ClusteringOptions;
  /** Statistical uncertainty of each mode (docs/oma.md, "Uncertainty"). @default true */
  readonly uncertainty?: boolean;
  /** Blocks (SSI) the record is cut into to estimate the covariances. @default see defaultUncertaintyBlocks */
  readonly uncertaintyBlocks?: number;
}

export async function analyzeRecord(
  data: readonly Channel[],
  fs: number,
  options: AnalyzeOptions,
  control: RunControl | Checkpoint = {},
): Promise<OmaResult> {
  const { method } = options;
  if (method !== 'fdd' && method !== 'efdd' && method !== 'ssi') {
    throw new InvalidOptionError('method', `method must be 'fdd', 'efdd' or 'ssi', got '${String(method)}'`);
  }
  if (!(fs > 0))
    throw new InvalidOptionError('fs', `sampling rate must be a positive number of Hz, got ${fs}`);
  if (data.length === 0) throw new InsufficientDataError('the record has no channels');
  const fmax = options.fmax ?? defaultFmax(fs);
  checkBand(options.fmin, fmax, fs / 2);
  const q =
    options.decimate === undefined || options.decimate === 'auto'
      ? defaultDecimation(fs, fmax)
      : options.decimate;
  const checkpoint = toCheckpoint(control);
  const timings: Record<string, number> = {};
  const warnings: string[] = [];

  let t0 = performance.now();
  const pre = await preprocessRecord(
    data,
    fs,
    {
      detrend: options.detrend ?? 'linear',
      decimate: q,
      ...(options.filter ? { filter: options.filter } : {}),
    },
    checkpoint.child(0, 0.2),
  );
  timings.preprocess = seconds(t0);
  const afs = pre.fs;
  if (fmax > afs / 2) {
    throw new InvalidOptionError(
      'fmax',
      `fmax ${fmax} Hz is above the Nyquist frequency after decimating by ${q} (${afs / 2} Hz)`,
    );
  }
  const n = pre.channels[0]?.length ?? 0;
  const parameters: Record<string, number | string | boolean | readonly number[]> = {
    method,
    fsInput: fs,
    fs: afs,
    decimate: q,
    fmax,
    samples: n,
    channels: pre.channels.length,
  };
  if (options.fmin !== undefined) parameters.fmin = options.fmin;

  let modes: Mode[];
  let result: Partial<OmaResult> = {};
  const analysis = checkpoint.child(0.2, 1);
  if (method === 'ssi') {
    const l = pre.channels.length;
    const refs = options.references ?? Array.from({ length: l }, (_, i) => i);
    const givenFmin = options.fmin !== undefined && options.fmin > 0 ? options.fmin : undefined;
    let fminForBr = givenFmin ?? fmax / 20;
    // Without fmin (or with 0), the lags must still reach the lowest mode the data hold (lowest-peak.ts).
    let lowest: number | undefined;
    if (givenFmin === undefined) {
      t0 = performance.now();
      lowest = await lowestSpectralPeak(pre.channels, afs, fmax, analysis.child(0, 0.1));
      timings.scan = seconds(t0);
      if (lowest !== undefined) {
        parameters.lowestPeak = lowest;
        fminForBr = Math.min(fminForBr, lowest);
      }
    }
    const orderMaxWanted = options.orderMax ?? DEFAULT_ORDER_MAX;
    const br = options.br ?? defaultBlockRows(afs, fminForBr, l, orderMaxWanted);
    if (lowest !== undefined && (2 * br) / afs < 0.9 / lowest) {
      warnings.push(
        `the lowest spectral peak (${lowest.toFixed(3)} Hz, period ${(1 / lowest).toFixed(2)} s) is longer than the ${2 * br} lags (${((2 * br) / afs).toFixed(2)} s) of br = ${br}, so SSI may miss it: ${options.br !== undefined ? 'raise br' : `br is capped at ${br} by the Toeplitz size`}, or lower fmax (more decimation), or pass fmin above it`,
      );
    }
    const orderMax = options.orderMax ?? defaultOrderMax(br, l, refs.length);
    if (n < 4 * br)
      throw new InsufficientDataError(`${n} samples after decimation are too few for ${br} block rows`);
    Object.assign(parameters, {
      br,
      orderMin: options.orderMin ?? DEFAULT_ORDER_MIN,
      orderMax,
      orderStep: options.orderStep ?? DEFAULT_ORDER_STEP,
    });
    const dampingMax = options.hardCriteria?.dampingMax ?? DEFAULT_DAMPING_MAX;
    const blocks = uncertaintyBlocks(options, n, br, warnings);
    t0 = performance.now();
    const ident = await ssiCov(
      pre.channels,
      afs,
      {
        br,
        orderMax,
        ...(options.orderMin !== undefined ? { orderMin: options.orderMin } : {}),
        ...(options.orderStep !== undefined ? { orderStep: options.orderStep } : {}),
        references: refs,
        fmin: options.fmin ?? 0,
        fmax,
        dampingMax,
        ...(blocks === undefined ? {} : { uncertaintyBlocks: blocks }),
      },
      analysis.child(0.1, 0.9),
    );
    Object.assign(timings, ident.timings);
    warnings.push(...(ident.warnings ?? []));
    t0 = performance.now();
    const diagram = stabilizationDiagram(ident, options.hardCriteria, options.stability);
    // One channel gives no mode shapes to tell modes from noise poles (every MAC is 1): stability
    // over the orders is the only evidence, so demand more of it (measured, 5-storey frame with its
    // top sensor only: real modes stable at 60–98 % of the orders, noise clusters at 30–42 %).
    const clustering: ClusteringOptions =
      l === 1 ? { minPolesFraction: 0.5, ...options.clustering } : (options.clustering ?? {});
    if (l === 1)
      warnings.push(
        'SSI with a single channel has no mode shapes to separate modes from noise; check the modes against FDD or add sensors',
      );
    const clustered = await clusterPolesAsync(
      diagram,
      ident.orders.length,
      clustering,
      analysis.child(0.9, 0.95),
    );
    timings.clustering = seconds(t0);
    t0 = performance.now();
    const estimates = await ssiEstimates(ident, diagram, clustered, afs, analysis.child(0.95, 1));
    modes = estimates.modes;
    warnings.push(...estimates.warnings);
    if (ident.model !== undefined) {
      timings.uncertainty = seconds(t0);
      parameters.uncertaintyBlocks = (ident.model.correlations.blockStarts?.length ?? 1) - 1;
    }
    const poles = diagram.map(({ source: _source, ...pole }, i) => ({
      ...pole,
      mode: clustered.assignment[i] ?? -1,
    }));
    result = { stabilization: { orders: ident.orders, poles } };
    if (modes.length === 0)
      warnings.push('no stable mode found in the band; check fmin/fmax, the record length or orderMax');
  } else {
    const nperseg = options.nperseg ?? defaultNperseg(n);
    if (nperseg > n)
      throw new InsufficientDataError(`nperseg ${nperseg} exceeds the ${n} samples after decimation`);
    Object.assign(parameters, { nperseg, overlap: options.overlap ?? DEFAULT_OVERLAP });
    t0 = performance.now();
    const spectrum = await fddSpectrum(
      pre.channels,
      afs,
      { nperseg, ...(options.overlap !== undefined ? { overlap: options.overlap } : {}) },
      analysis.child(0, 0.95),
    );
    timings.spectrum = seconds(t0);
    if (spectrum.failedLines !== undefined)
      warnings.push(
        `the eigen-decomposition of the spectral matrix did not converge at ${spectrum.failedLines} of ${spectrum.frequencies.length} lines (left empty)`,
      );
    t0 = performance.now();
    const bands = options.bands ?? [[options.fmin ?? 0, fmax] as const];
    const peaks = pickPeaks(spectrum, { ...options.peaks, bands });
    timings.peaks = seconds(t0);
    const df = (spectrum.frequencies[1] ?? 0) - (spectrum.frequencies[0] ?? 0);
    for (const p of peaks) {
      if (p.merged === true) {
        warnings.push(
          `mode at ${p.frequency.toFixed(3)} Hz: a second mode shape peaks at the same frequency line (resolution ${df.toPrecision(3)} Hz): probably two modes closer than the resolution, reported as one; a longer record (larger nperseg) or SSI can separate them`,
        );
      }
    }
    if (method === 'efdd') {
      t0 = performance.now();
      modes = efdd(spectrum, peaks, options.efdd);
      timings.efdd = seconds(t0);
      for (const m of modes)
        if (m.error !== undefined) warnings.push(`mode at ${m.frequency.toFixed(3)} Hz: ${m.error}`);
    } else {
      modes = fddModes(spectrum, peaks);
    }
    if (options.uncertainty !== false && modes.length > 0) {
      t0 = performance.now();
      const segments = { method, ...(options.overlap === undefined ? {} : { overlap: options.overlap }) };
      const found = await fddUncertainty(
        pre.channels,
        spectrum,
        peaks,
        modes,
        options.efdd === undefined ? segments : { ...segments, efdd: options.efdd },
        analysis.child(0.95, 1),
      );
      modes = modes.map((m, i) => {
        const u = found[i];
        return u === undefined ? m : { ...m, uncertainty: u };
      });
      timings.uncertainty = seconds(t0);
      const groups = Math.min(spectrum.csd.segments, DEFAULT_JACKKNIFE_GROUPS);
      if (groups < MIN_JACKKNIFE_GROUPS)
        warnings.push(
          `no uncertainty: the spectrum averages ${spectrum.csd.segments} segments, and at least ${MIN_JACKKNIFE_GROUPS} are needed for a standard deviation worth reporting — a longer record, or a smaller nperseg`,
        );
      else parameters.uncertaintyBlocks = groups;
    }
    warnings.push(...closePairWarnings(modes));
    result = { singularValues: { frequencies: spectrum.frequencies, values: spectrum.values } };
    if (modes.length === 0) warnings.push('no spectral peak passed the peak-picking tests in the band');
  }
  checkpoint.report(1, 'analysis done');
  timings.total = Object.values(timings).reduce((a, b) => a + b, 0);
  return {
    method,
    fs: afs,
    modes,
    ...result,
    macMatrix: macMatrix(modes.map((m) => ({ re: m.shape }))),
    timings,
    parameters,
    warnings,
  };
}

/**
 * Neighbouring FDD/EFDD modes closer than a half-power bandwidth (2ζf) of either: FDD tells them
 * apart only through their shapes, so their frequencies, shapes and damping are less reliable
 * than those of isolated modes (measured: shapes MAC 0.83–0.99 with the truth half a bandwidth
 * apart; two modes 0.1 bandwidth apart reported 0.5 % off).
 */
function closePairWarnings(modes: readonly Mode[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < modes.length; i++) {
    const a = modes[i - 1] as Mode;
    const b = modes[i] as Mode;
    const width = Math.max(2 * a.damping * a.frequency, 2 * b.damping * b.frequency);
    if (b.frequency - a.frequency < width) {
      out.push(
        `modes at ${a.frequency.toFixed(3)} and ${b.frequency.toFixed(3)} Hz are closer than a half-power bandwidth (${width.toPrecision(2)} Hz): FDD separates them only by their shapes, so their frequencies, shapes and damping are less reliable; SSI resolves such pairs better`,
      );
    }
  }
  return out;
}

/** SSI's covariance blocks, or undefined (no uncertainty: off, or the record is too short). */
function uncertaintyBlocks(
  options: AnalyzeOptions,
  n: number,
  br: number,
  warnings: string[],
): number | undefined {
  if (options.uncertainty === false) return undefined;
  const blocks = options.uncertaintyBlocks ?? defaultUncertaintyBlocks(n, br);
  if (blocks >= MIN_UNCERTAINTY_BLOCKS) return blocks;
  warnings.push(
    `no uncertainty: ${n} samples make ${blocks} blocks of ${20 * br} samples (ten lag spans of br = ${br}); at least ${MIN_UNCERTAINTY_BLOCKS} are needed for a standard deviation worth reporting — a longer record, or a smaller br`,
  );
  return undefined;
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
