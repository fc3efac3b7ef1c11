import type { Checkpoint } from '../control.js';
import { InsufficientDataError } from '../errors.js';
import { lowestSpectralPeak } from '../fdd/lowest-peak.js';
import type { Mode, StabilizationDiagram } from '../modal/types.js';
import { type ClusteringOptions, clusterPolesAsync } from '../ssi/clustering.js';
import { DEFAULT_DAMPING_MAX, DEFAULT_ORDER_MIN, DEFAULT_ORDER_STEP } from '../ssi/defaults.js';
import { ssiCov } from '../ssi/ssi.js';
import { stabilizationDiagram } from '../ssi/stabilization.js';
import { DEFAULT_ORDER_MAX, defaultBlockRows, defaultOrderMax } from './defaults.js';
import type { Findings } from './findings.js';
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
  // Without fmin (or with 0), the lags must still reach the lowest mode the data hold (lowest-peak.ts).
  let lowest: number | undefined;
  let t0 = performance.now();
  if (givenFmin === undefined) {
    lowest = await lowestSpectralPeak(channels, fs, fmax, checkpoint.child(0, 0.1));
    timings.scan = seconds(t0);
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
  const diagram = stabilizationDiagram(ident, options.hardCriteria, options.stability);
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
  if (clustered.modes.length === 0)
    findings.add({
      code: 'NO_MODES',
      severity: 'warning',
      message: 'no stable mode found in the band',
      fix: 'check fmin/fmax, the record length or orderMax',
    });
  return { modes: clustered.modes, stabilization: { orders: ident.orders, poles }, parameters, timings };
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
