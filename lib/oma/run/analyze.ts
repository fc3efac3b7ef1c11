import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InsufficientDataError, InvalidOptionError } from '../errors.js';
import type { Channel } from '../io/csv.js';
import type { BandChoice } from '../modal/diagnostics.js';
import { macMatrix } from '../modal/mac.js';
import type { Mode, OmaResult } from '../modal/types.js';
import { bandFromScan, scanBand } from './band.js';
import { checkBand, defaultDecimation } from './defaults.js';
import { Findings } from './findings.js';
import { identifyFdd } from './identify-fdd.js';
import { identifySsi } from './identify-ssi.js';
import type { AnalyzeOptions } from './options.js';
import { preprocessRecord } from './preprocess.js';
import { expandShapes, withExpectedUncertainty } from './report.js';
import { checkSensors } from './sensor-health.js';

export type { AnalyzeOptions } from './options.js';

/**
 * The engine's entry point: preprocess a record and identify its modes with FDD, EFDD or SSI-cov,
 * with defaults chosen from the data for every parameter not given (options.ts). Besides the
 * modes the result says what was analysed (the band, the channels left out) and what was noticed
 * (diagnostics, each with a code and a fix; harmonics set aside; the uncertainty the record's
 * length allows each mode).
 */
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
  const checkpoint = toCheckpoint(control);
  const timings: Record<string, number> = {};
  const findings = new Findings(options.channelNames);
  let t0 = performance.now();
  const n0 = data[0]?.length ?? 0;
  if (data.some((c) => c.length !== n0))
    throw new InvalidOptionError('channels', 'all channels must have the same length');
  const dead: number[] = [];
  if (options.sensorCheck !== false) {
    const check = await checkSensors(data, fs, options.channelNames, checkpoint.child(0, 0.03));
    for (const { channel_name: _name, ...d } of check.diagnostics) findings.add(d);
    if (options.keepDead !== true) dead.push(...check.dead);
    timings.sensorCheck = seconds(t0);
  }
  const excluded = excludedChannels(data.length, options, findings, dead);
  const kept = data.map((_, c) => c).filter((c) => !excluded.includes(c));
  if (kept.length === 0)
    throw new InsufficientDataError(
      `every channel is excluded${dead.length > 0 ? ` (${dead.length} found dead)` : ''}: nothing is left to analyse`,
    );

  t0 = performance.now();
  const band = await chooseBand(
    kept.map((c) => data[c] as Channel),
    fs,
    options,
    findings,
    checkpoint.child(0.03, 0.06),
  );
  timings.band = seconds(t0);
  findings.add({
    code: 'BAND_CHOSEN',
    severity: 'info',
    message: `band ${band.fmin}–${band.fmax} Hz (${band.chosen === 'auto' ? 'from the data' : 'given'}): ${band.reason}`,
    evidence: { fmin_hz: band.fmin, fmax_hz: band.fmax, decimate: band.decimate },
  });
  const { fmax, decimate: q } = band;
  checkBand(options.fmin, fmax, fs / 2);
  t0 = performance.now();
  const pre = await preprocessRecord(
    kept.map((c) => data[c] as Channel),
    fs,
    {
      detrend: options.detrend ?? 'linear',
      decimate: q,
      ...(options.filter ? { filter: options.filter } : {}),
    },
    checkpoint.child(0.06, 0.2),
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
  const analysis = checkpoint.child(0.2, 1);
  const range = { fmin: options.fmin, fmax };
  let modes: Mode[];
  let extra: Pick<OmaResult, 'stabilization' | 'singularValues'>;
  if (method === 'ssi') {
    const references = referencesOf(options.references, kept, findings);
    const run = await identifySsi(pre.channels, afs, range, references, options, findings, analysis);
    modes = run.modes;
    extra = { stabilization: run.stabilization };
    Object.assign(parameters, run.parameters);
    Object.assign(timings, run.timings);
  } else {
    const run = await identifyFdd(pre.channels, afs, range, options, findings, analysis);
    modes = run.modes;
    extra = { singularValues: run.singularValues };
    Object.assign(parameters, run.parameters);
    Object.assign(timings, run.timings);
  }
  checkpoint.report(1, 'analysis done');
  const mac = macMatrix(modes.map((m) => ({ re: m.shape })));
  const final = expandShapes(withExpectedUncertainty(modes, n / afs, findings), kept, data.length);
  const diagnostics = findings.resolve(modes);
  timings.total = Object.values(timings).reduce((a, b) => a + b, 0);
  return {
    method,
    fs: afs,
    modes: final,
    ...extra,
    macMatrix: mac,
    timings,
    parameters,
    band,
    diagnostics,
    harmonics: findings.harmonics,
    excluded_channels: excluded,
  };
}

/**
 * The band and decimation: a band chosen before (a dataset's), the user's fmax, or one from the
 * data (band.ts). The quick look also tells when a given fmax cuts coherent peaks off.
 */
async function chooseBand(
  channels: readonly Channel[],
  fs: number,
  options: AnalyzeOptions,
  findings: Findings,
  checkpoint: Checkpoint,
): Promise<BandChoice> {
  const fmin = options.fmin ?? 0;
  const given = typeof options.decimate === 'number' ? options.decimate : undefined;
  if (options.band !== undefined) {
    // The record was preprocessed for this band already: decimate only what is left.
    const fmax = Math.min(options.band.fmax, 0.4 * fs);
    return { ...options.band, fmin, fmax, decimate: given ?? defaultDecimation(fs, fmax) };
  }
  const scan = await scanBand(channels, fs, checkpoint);
  if (options.fmax !== undefined) {
    const fmax = options.fmax;
    const above = scan.peaks.filter((f) => f > fmax * 1.02);
    if (above.length > 0)
      findings.add({
        code: 'BAND_CUT',
        severity: 'warning',
        message: `coherent spectral peaks lie above fmax = ${fmax} Hz (${above.length}, up to ${Math.max(...above).toFixed(2)} Hz): the band cuts them off`,
        fix: `leave fmax out (the band is then chosen from the data) or raise it above ${Math.max(...above).toFixed(1)} Hz`,
        evidence: { fmax_hz: fmax, peaks_above: above.map((f) => f.toFixed(2)).join(', ') },
      });
    return {
      fmin,
      fmax,
      decimate: given ?? defaultDecimation(fs, fmax),
      chosen: 'user',
      reason: `fmax = ${fmax} Hz as given`,
    };
  }
  const auto = bandFromScan(scan, fs, fmin);
  if (given === undefined) return auto;
  // A given decimation with a band from the data: the band must fit below the new Nyquist.
  const fmax = Math.min(auto.fmax, Number(((0.4 * fs) / given).toPrecision(3)));
  return {
    ...auto,
    fmax,
    decimate: given,
    reason: `${auto.reason.replace(/, decimated by .*$/, '')}; decimated by ${given} as given`,
  };
}

/** The channels to leave out: those asked for (checked) and the dead ones (already reported). */
function excludedChannels(
  count: number,
  options: AnalyzeOptions,
  findings: Findings,
  dead: readonly number[],
): number[] {
  const out = new Set<number>(dead);
  for (const c of options.excludeChannels ?? []) {
    if (!Number.isInteger(c) || c < 0 || c >= count)
      throw new InvalidOptionError(
        'excludeChannels',
        `channel ${c} does not exist (the record has ${count}, 0-based)`,
      );
    if (out.has(c)) continue;
    out.add(c);
    findings.add({
      code: 'CHANNEL_EXCLUDED',
      severity: 'info',
      message: `${findings.label(c)} is left out as asked: its shape entries are empty (NaN)`,
      channel: c,
    });
  }
  return [...out].sort((a, b) => a - b);
}

/** SSI references (indices into the record as given) → indices into the kept channels. */
function referencesOf(
  given: readonly number[] | undefined,
  kept: readonly number[],
  findings: Findings,
): number[] {
  if (given === undefined) return kept.map((_, i) => i);
  const out: number[] = [];
  for (const r of given) {
    if (!Number.isInteger(r) || r < 0)
      throw new InvalidOptionError('references', `reference ${r} is not a channel index (0-based)`);
    const i = kept.indexOf(r);
    if (i >= 0) out.push(i);
    else
      findings.add({
        code: 'CHANNEL_EXCLUDED',
        severity: 'warning',
        message: `reference ${findings.label(r)} is left out of the analysis, so it is no reference`,
        fix: 'choose references among the analysed channels',
        channel: r,
      });
  }
  if (out.length === 0)
    throw new InvalidOptionError('references', 'no reference channel is left after the exclusions');
  return out;
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
