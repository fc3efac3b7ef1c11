import type { Checkpoint } from '../control.js';
import { InsufficientDataError } from '../errors.js';
import { autoSpectra, lowestPeak } from '../fdd/lowest-peak.js';
import { mac } from '../modal/mac.js';
import type { Mode, StabilizationDiagram, StabilizationPole } from '../modal/types.js';
import { decimate } from '../signal/decimate.js';
import { type ClusteringOptions, clusterPolesAsync } from '../ssi/clustering.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from '../ssi/defaults.js';
import { ssiEstimates } from '../ssi/estimates.js';
import { type SsiIdentification, ssiCov } from '../ssi/ssi.js';
import { stabilizationDiagram } from '../ssi/stabilization.js';
import {
  DEFAULT_ORDER_MAX,
  defaultBlockRows,
  defaultOrderMax,
  defaultUncertaintyBlocks,
  MAX_TOEPLITZ_ROWS,
  MIN_UNCERTAINTY_BLOCKS,
} from './defaults.js';
import type { Findings } from './findings.js';
import { autoSpectraView, harmonicModes } from './harmonic-modes.js';
import {
  type HarmonicLine,
  harmonicFinding,
  harmonicOf,
  type LineVerdict,
  scanHarmonics,
} from './harmonics.js';
import type { AnalyzeOptions } from './options.js';

/**
 * SSI-cov through the stabilization diagram and clustering (ssi/), with the block rows from the
 * lowest spectral peak when no fmin is given: 2·br lags must span about a period of the lowest
 * mode (Peeters & De Roeck 1999).
 */
export interface SsiRun {
  readonly modes: Mode[];
  readonly stabilization: StabilizationDiagram;
  readonly parameters: Record<string, number>;
  readonly timings: Record<string, number>;
}

export async function identifySsi(
  channels: readonly Float64Array[],
  fs: number,
  band: { readonly fmin: number | undefined; readonly fmax: number },
  references: readonly number[],
  options: AnalyzeOptions,
  findings: Findings,
  checkpoint: Checkpoint,
): Promise<SsiRun> {
  const l = channels.length;
  const { fmax } = band;
  const timings: Record<string, number> = {};
  const parameters: Record<string, number> = {};
  const givenFmin = band.fmin !== undefined && band.fmin > 0 ? band.fmin : undefined;
  let fminForBr = givenFmin ?? fmax / 20;
  const t0 = performance.now();
  // The channels' auto-spectra: harmonic lines (set aside before SSI sees their poles), then the
  // lowest peak without them.
  const spectra = await autoSpectra(channels, fs, checkpoint.child(0, 0.08));
  let scan: { lines: HarmonicLine[]; verdicts: LineVerdict[] } = { lines: [], verdicts: [] };
  if (spectra !== undefined && options.harmonics !== false) {
    scan = await scanHarmonics(
      autoSpectraView(spectra),
      channels,
      fs,
      { fmin: band.fmin ?? 0, fmax },
      checkpoint.child(0.08, 0.1),
    );
    for (const line of scan.lines) {
      findings.harmonics.push(harmonicOf(line, 'spectrum'));
      findings.add(harmonicFinding(line));
    }
  }
  const df =
    spectra === undefined ? 0 : (spectra.frequencies[1] as number) - (spectra.frequencies[0] as number);
  // A harmonic's poles: inside its span, damped less than its spread would make a pole look
  // (half the span over the frequency — a wandering speed spreads the line) or 0.2 %.
  const harmonicRanges = scan.lines.map((h) => ({
    from: h.from * df - df,
    to: h.to * df + df,
    damping: Math.max(
      HARMONIC_POLE_DAMPING,
      3 * h.apparentDamping,
      ((h.to - h.from) * df) / (2 * h.frequency),
    ),
  }));
  timings.scan = seconds(t0);
  // Without fmin (or with 0), the lags must still reach the lowest mode the data hold (lowest-peak.ts).
  let lowest: number | undefined;
  if (givenFmin === undefined && spectra !== undefined) {
    lowest = lowestPeak(spectra.frequencies, spectra.trace, fmax);
    if (lowest !== undefined) {
      parameters.lowestPeak = lowest;
      fminForBr = Math.min(fminForBr, lowest);
    }
  }
  const orderMaxWanted = options.orderMax ?? DEFAULT_ORDER_MAX;
  const br = options.br ?? defaultBlockRows(fs, fminForBr, l, orderMaxWanted);
  const reaches = (rows: number, rate: number, f: number): boolean => (2 * rows) / rate >= 0.9 / f;
  let run: BandRun;
  const split =
    lowest !== undefined && options.br === undefined && !reaches(br, fs, lowest)
      ? lowBand(fs, lowest, l)
      : undefined;
  if (split !== undefined) {
    // The lags capped by the Toeplitz size cannot reach the lowest mode at this rate: SSI runs on
    // the record decimated for the low band [fmin, f_split] (its lags reach), and at the full
    // rate above 0.9·f_split; the modes of the overlap come from the low band.
    const td = performance.now();
    const low = channels.map((x) => decimate(x, split.q));
    timings.decimateLowBand = seconds(td);
    const lowRun = await ssiBand(
      low,
      fs / split.q,
      { fmin: band.fmin ?? 0, fmax: split.fmax },
      undefined,
      references,
      options,
      findings,
      harmonicRanges,
      checkpoint.child(0.1, 0.55),
    );
    const highRun = await ssiBand(
      channels,
      fs,
      { fmin: Math.max(band.fmin ?? 0, 0.9 * split.fmax), fmax },
      br,
      references,
      options,
      findings,
      harmonicRanges,
      checkpoint.child(0.55, 1),
    );
    run = mergeBands(lowRun, highRun, split.fmax);
    findings.add({
      code: 'SSI_SPLIT_BAND',
      severity: 'info',
      message: `SSI ran in two bands so that its lags reach the lowest peak (${(lowest as number).toFixed(3)} Hz): 0–${split.fmax} Hz decimated by ${split.q} (br ${lowRun.parameters.br}, ${((2 * (lowRun.parameters.br ?? 0) * split.q) / fs).toFixed(1)} s of lags), and ${(0.9 * split.fmax).toFixed(2)}–${fmax} Hz at ${fs} Hz (br ${br})`,
      evidence: {
        split_hz: split.fmax,
        low_decimate: split.q,
        low_br: lowRun.parameters.br ?? 0,
        high_br: br,
      },
    });
    Object.assign(parameters, {
      splitHz: split.fmax,
      lowDecimate: split.q,
      lowBr: lowRun.parameters.br ?? 0,
    });
  } else {
    if (lowest !== undefined && !reaches(br, fs, lowest)) {
      findings.add({
        code: 'SSI_LAGS_SHORT',
        severity: 'warning',
        message: `the lowest spectral peak (${lowest.toFixed(3)} Hz, period ${(1 / lowest).toFixed(2)} s) is longer than the ${2 * br} lags (${((2 * br) / fs).toFixed(2)} s) of br = ${br}, so SSI may miss it`,
        fix: 'raise br, or lower fmax (more decimation), or pass fmin above it',
        evidence: { lowest_peak_hz: lowest, br, lags_s: (2 * br) / fs },
      });
    }
    run = await ssiBand(
      channels,
      fs,
      { fmin: band.fmin ?? 0, fmax },
      br,
      references,
      options,
      findings,
      harmonicRanges,
      checkpoint.child(0.1, 1),
    );
  }
  Object.assign(parameters, run.parameters);
  Object.assign(timings, run.timings);
  let modes = run.modes;
  const poles = run.poles;
  if (options.harmonics !== false && df > 0) {
    const harmonic = harmonicModes(modes, channels, fs, scan, df);
    for (const { line } of harmonic) {
      findings.harmonics.push(harmonicOf(line, 'ssi'));
      findings.add(harmonicFinding(line));
    }
    const kept = modes.filter((m) => !harmonic.some((h) => h.mode === m));
    // The diagram's poles refer to modes by index: renumber, the harmonic clusters' poles to −1.
    if (harmonic.length > 0) {
      const index = modes.map((m) => kept.indexOf(m));
      for (const p of poles) p.mode = p.mode >= 0 ? (index[p.mode] ?? -1) : -1;
    }
    modes = kept;
  }
  if (l === 1)
    findings.add({
      code: 'SINGLE_CHANNEL',
      severity: 'warning',
      message: 'SSI with a single channel has no mode shapes to separate modes from noise',
      fix: 'check the modes against FDD, or add sensors',
    });
  if (modes.length === 0)
    findings.add({
      code: 'NO_MODES',
      severity: 'warning',
      message: 'no stable mode found in the band',
      fix: 'check fmin/fmax, the record length or orderMax',
    });
  return { modes, stabilization: { orders: run.orders, poles }, parameters, timings };
}

interface BandRun {
  readonly modes: Mode[];
  readonly poles: (StabilizationPole & { mode: number })[];
  readonly orders: number[];
  readonly parameters: Record<string, number>;
  readonly timings: Record<string, number>;
}

/**
 * The low band when the lags cannot reach the lowest peak at the full rate: the rate at which the
 * capped block rows span 1.1 periods of it, the band top a fifth of that rate (the anti-alias
 * filter's flat pass band, as the default decimation keeps), the decimation to get there.
 */
function lowBand(fs: number, lowest: number, channels: number): { q: number; fmax: number } | undefined {
  const rows = Math.floor(MAX_TOEPLITZ_ROWS / channels);
  const rate = (2 * rows * lowest) / 1.1;
  const q = Math.ceil(fs / rate);
  if (q < 2) return undefined;
  return { q, fmax: Number((fs / q / 5).toPrecision(3)) };
}

/** SSI-cov, stabilization and clustering over one band. */
async function ssiBand(
  channels: readonly Float64Array[],
  fs: number,
  range: { readonly fmin: number; readonly fmax: number },
  givenBr: number | undefined,
  references: readonly number[],
  options: AnalyzeOptions,
  findings: Findings,
  harmonics: readonly { from: number; to: number; damping: number }[],
  checkpoint: Checkpoint,
): Promise<BandRun> {
  const l = channels.length;
  const n = channels[0]?.length ?? 0;
  const timings: Record<string, number> = {};
  const br =
    givenBr ??
    defaultBlockRows(
      fs,
      range.fmin > 0 ? range.fmin : range.fmax / 20,
      l,
      options.orderMax ?? DEFAULT_ORDER_MAX,
    );
  const orderMax = options.orderMax ?? defaultOrderMax(br, l, references.length);
  if (n < 4 * br)
    throw new InsufficientDataError(`${n} samples after decimation are too few for ${br} block rows`);
  const blocks = uncertaintyBlocks(options, n, br, findings);
  const parameters: Record<string, number> = {
    br,
    orderMin: options.orderMin ?? DEFAULT_ORDER_MIN,
    orderMax,
    orderStep: options.orderStep ?? DEFAULT_ORDER_STEP,
  };
  const ident = await ssiCov(
    channels,
    fs,
    {
      br,
      orderMax,
      ...(options.orderMin !== undefined ? { orderMin: options.orderMin } : {}),
      ...(options.orderStep !== undefined ? { orderStep: options.orderStep } : {}),
      references,
      fmin: range.fmin,
      fmax: range.fmax,
      dampingMax: options.hardCriteria?.dampingMax ?? DEFAULT_DAMPING_MAX,
      ...(blocks === undefined ? {} : { uncertaintyBlocks: blocks }),
    },
    checkpoint,
  );
  Object.assign(timings, ident.timings);
  findings.addAll(ident.diagnostics ?? []);
  let t0 = performance.now();
  const kept = withoutHarmonicPoles(ident, harmonics);
  const diagram = stabilizationDiagram(kept, options.hardCriteria, options.stability);
  // One channel gives no mode shapes to tell modes from noise poles (every MAC is 1): stability
  // over the orders is the only evidence, so demand more of it (measured, 5-storey frame with its
  // top sensor only: real modes stable at 60–98 % of the orders, noise clusters at 30–42 %).
  const clustering: ClusteringOptions =
    l === 1 ? { minPolesFraction: 0.5, ...options.clustering } : (options.clustering ?? {});
  const clustered = await clusterPolesAsync(diagram, ident.orders.length, clustering, checkpoint);
  timings.clustering = seconds(t0);
  // Each mode at its sharpest pole, with its uncertainty when the model was kept (ssi/estimates.ts).
  t0 = performance.now();
  const estimates = await ssiEstimates(kept, diagram, clustered, fs, checkpoint);
  for (const message of estimates.warnings)
    findings.add({
      code: 'ORDER_DRIFT',
      severity: 'warning',
      message,
      fix: 'check the stabilization diagram; a longer record will not narrow this mode',
    });
  if (ident.model !== undefined) {
    timings.uncertainty = seconds(t0);
    parameters.uncertaintyBlocks = (ident.model.correlations.blockStarts?.length ?? 1) - 1;
  }
  const poles = diagram.map(({ source: _source, ...pole }, i) => ({
    ...pole,
    mode: clustered.assignment[i] ?? -1,
  }));
  return { modes: estimates.modes, poles, orders: ident.orders, parameters, timings };
}

/**
 * The two bands' modes as one list: the low band's up to its top, the high band's above unless
 * the low band has the same mode (within 2 %, MAC ≥ 0.9); the diagrams' poles together.
 */
function mergeBands(low: BandRun, high: BandRun, split: number): BandRun {
  const fromLow = low.modes.filter((m) => m.frequency <= split);
  const fromHigh = high.modes.filter(
    (m) =>
      !fromLow.some(
        (o) => Math.abs(o.frequency / m.frequency - 1) < 0.02 && mac({ re: o.shape }, { re: m.shape }) >= 0.9,
      ),
  );
  const modes = [...fromLow, ...fromHigh].sort((a, b) => a.frequency - b.frequency);
  const renumber = (run: BandRun, kept: readonly Mode[]) => {
    const index = run.modes.map((m) => (kept.includes(m) ? modes.indexOf(m) : -1));
    return run.poles.map((p) => ({ ...p, mode: p.mode >= 0 ? (index[p.mode] ?? -1) : -1 }));
  };
  const timings: Record<string, number> = {};
  for (const run of [low, high])
    for (const [k, v] of Object.entries(run.timings)) timings[k] = (timings[k] ?? 0) + v;
  return {
    modes,
    poles: [...renumber(low, fromLow), ...renumber(high, fromHigh)],
    orders: [...new Set([...low.orders, ...high.orders])].sort((a, b) => a - b),
    parameters: high.parameters,
    timings,
  };
}

/**
 * The identification without the poles of harmonic lines: inside a line's span and damped less
 * than max(0.2 %, 3× the line's apparent damping) — a forced steady state is an undamped pole,
 * the structural mode a harmonic may sit on keeps its own, damped poles (Reynders 2012's hard
 * criteria with this one added).
 */
function withoutHarmonicPoles(
  ident: SsiIdentification,
  ranges: readonly { from: number; to: number; damping: number }[],
): SsiIdentification {
  if (ranges.length === 0) return ident;
  const isHarmonic = (f: number, zeta: number): boolean =>
    ranges.some((h) => f >= h.from && f <= h.to && zeta < h.damping);
  return {
    ...ident,
    poles: ident.poles.map((order) =>
      order.filter((p) => !(p.inRange && isHarmonic(p.frequency, p.damping))),
    ),
  };
}

const HARMONIC_POLE_DAMPING = 0.002;

/** SSI's covariance blocks, or undefined (no uncertainty: off, or the record is too short). */
function uncertaintyBlocks(
  options: AnalyzeOptions,
  n: number,
  br: number,
  findings: Findings,
): number | undefined {
  if (options.uncertainty === false) return undefined;
  const blocks = options.uncertaintyBlocks ?? defaultUncertaintyBlocks(n, br);
  if (blocks >= MIN_UNCERTAINTY_BLOCKS) return blocks;
  findings.add({
    code: 'NO_UNCERTAINTY',
    severity: 'info',
    message: `no uncertainty: ${n} samples make ${blocks} blocks of ${20 * br} samples (ten lag spans of br = ${br}); at least ${MIN_UNCERTAINTY_BLOCKS} are needed for a standard deviation worth reporting`,
    fix: 'a longer record, or a smaller br',
    evidence: { samples: n, blocks, br },
  });
  return undefined;
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
