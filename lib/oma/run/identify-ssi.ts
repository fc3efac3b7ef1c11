import type { Checkpoint } from '../control.js';
import { InsufficientDataError } from '../errors.js';
import { autoSpectra, lowestPeak } from '../fdd/lowest-peak.js';
import type { Mode, StabilizationDiagram } from '../modal/types.js';
import { type ClusteringOptions, clusterPolesAsync } from '../ssi/clustering.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from '../ssi/defaults.js';
import { type SsiIdentification, ssiCov } from '../ssi/ssi.js';
import { stabilizationDiagram } from '../ssi/stabilization.js';
import { DEFAULT_ORDER_MAX, defaultBlockRows, defaultOrderMax } from './defaults.js';
import type { Findings } from './findings.js';
import {
  autoSpectraView,
  type HarmonicLine,
  harmonicFinding,
  harmonicModes,
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
  const n = channels[0]?.length ?? 0;
  const { fmax } = band;
  const timings: Record<string, number> = {};
  const parameters: Record<string, number> = {};
  const givenFmin = band.fmin !== undefined && band.fmin > 0 ? band.fmin : undefined;
  let fminForBr = givenFmin ?? fmax / 20;
  let t0 = performance.now();
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
  if (lowest !== undefined && (2 * br) / fs < 0.9 / lowest) {
    findings.add({
      code: 'SSI_LAGS_SHORT',
      severity: 'warning',
      message: `the lowest spectral peak (${lowest.toFixed(3)} Hz, period ${(1 / lowest).toFixed(2)} s) is longer than the ${2 * br} lags (${((2 * br) / fs).toFixed(2)} s) of br = ${br}, so SSI may miss it`,
      fix:
        options.br !== undefined
          ? 'raise br, or lower fmax (more decimation), or pass fmin above it'
          : `br is capped at ${br} by the Toeplitz size: lower fmax (more decimation), or pass fmin above it`,
      evidence: { lowest_peak_hz: lowest, br, lags_s: (2 * br) / fs },
    });
  }
  const orderMax = options.orderMax ?? defaultOrderMax(br, l, references.length);
  if (n < 4 * br)
    throw new InsufficientDataError(`${n} samples after decimation are too few for ${br} block rows`);
  Object.assign(parameters, {
    br,
    orderMin: options.orderMin ?? DEFAULT_ORDER_MIN,
    orderMax,
    orderStep: options.orderStep ?? DEFAULT_ORDER_STEP,
  });
  const dampingMax = options.hardCriteria?.dampingMax ?? DEFAULT_DAMPING_MAX;
  t0 = performance.now();
  const ident = await ssiCov(
    channels,
    fs,
    {
      br,
      orderMax,
      ...(options.orderMin !== undefined ? { orderMin: options.orderMin } : {}),
      ...(options.orderStep !== undefined ? { orderStep: options.orderStep } : {}),
      references,
      fmin: band.fmin ?? 0,
      fmax,
      dampingMax,
    },
    checkpoint.child(0.1, 1),
  );
  Object.assign(timings, ident.timings);
  findings.addAll(ident.diagnostics ?? []);
  t0 = performance.now();
  const df =
    spectra === undefined ? 0 : (spectra.frequencies[1] as number) - (spectra.frequencies[0] as number);
  const diagram = stabilizationDiagram(
    withoutHarmonicPoles(ident, scan.lines, df),
    options.hardCriteria,
    options.stability,
  );
  // One channel gives no mode shapes to tell modes from noise poles (every MAC is 1): stability
  // over the orders is the only evidence, so demand more of it (measured, 5-storey frame with its
  // top sensor only: real modes stable at 60–98 % of the orders, noise clusters at 30–42 %).
  const clustering: ClusteringOptions =
    l === 1 ? { minPolesFraction: 0.5, ...options.clustering } : (options.clustering ?? {});
  if (l === 1)
    findings.add({
      code: 'SINGLE_CHANNEL',
      severity: 'warning',
      message: 'SSI with a single channel has no mode shapes to separate modes from noise',
      fix: 'check the modes against FDD, or add sensors',
    });
  const clustered = await clusterPolesAsync(diagram, ident.orders.length, clustering, checkpoint);
  timings.clustering = seconds(t0);
  const poles = diagram.map(({ source: _source, ...pole }, i) => ({
    ...pole,
    mode: clustered.assignment[i] ?? -1,
  }));
  let modes = clustered.modes;
  if (options.harmonics !== false && df > 0) {
    const harmonic = harmonicModes(modes, channels, fs, scan, df);
    for (const { line } of harmonic) {
      findings.harmonics.push(harmonicOf(line, 'ssi'));
      findings.add(harmonicFinding(line));
    }
    modes = modes.filter((m) => !harmonic.some((h) => h.mode === m));
    // The diagram's poles refer to modes by index: renumber, the harmonic clusters' poles to −1.
    if (harmonic.length > 0) {
      const index = clustered.modes.map((m) => modes.indexOf(m));
      for (const p of poles) p.mode = p.mode >= 0 ? (index[p.mode] ?? -1) : -1;
    }
  }
  if (modes.length === 0)
    findings.add({
      code: 'NO_MODES',
      severity: 'warning',
      message: 'no stable mode found in the band',
      fix: 'check fmin/fmax, the record length or orderMax',
    });
  return { modes, stabilization: { orders: ident.orders, poles }, parameters, timings };
}

/**
 * The identification without the poles of harmonic lines: inside a line's span and damped less
 * than max(0.2 %, 3× the line's apparent damping) — a forced steady state is an undamped pole,
 * the structural mode a harmonic may sit on keeps its own, damped poles (Reynders 2012's hard
 * criteria with this one added).
 */
function withoutHarmonicPoles(
  ident: SsiIdentification,
  lines: readonly HarmonicLine[],
  df: number,
): SsiIdentification {
  if (lines.length === 0) return ident;
  const isHarmonic = (f: number, zeta: number): boolean =>
    lines.some(
      (h) =>
        f >= h.from * df - df &&
        f <= h.to * df + df &&
        zeta < Math.max(HARMONIC_POLE_DAMPING, 3 * h.apparentDamping),
    );
  return {
    ...ident,
    poles: ident.poles.map((order) =>
      order.filter((p) => !(p.inRange && isHarmonic(p.frequency, p.damping))),
    ),
  };
}

const HARMONIC_POLE_DAMPING = 0.002;

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
