import type { Checkpoint } from '../control.js';
import { InsufficientDataError } from '../errors.js';
import { removeLines } from '../fdd/clean.js';
import { efdd } from '../fdd/efdd.js';
import { fddModes } from '../fdd/fdd.js';
import { pickPeaks } from '../fdd/peaks.js';
import { fddSpectrum } from '../fdd/spectrum.js';
import type { FddSpectrum } from '../fdd/types.js';
import { DEFAULT_JACKKNIFE_GROUPS, fddUncertainty, MIN_JACKKNIFE_GROUPS } from '../fdd/uncertainty.js';
import type { Mode, SingularValueSpectrum } from '../modal/types.js';
import { DEFAULT_OVERLAP, defaultNperseg } from '../signal/defaults.js';
import { pairIndex } from '../signal/welch.js';
import type { Findings } from './findings.js';
import { harmonicFinding, harmonicOf, type SpectralView, scanHarmonics } from './harmonics.js';
import type { AnalyzeOptions } from './options.js';

/** FDD or EFDD: the decomposed Welch spectrum, its peaks, and the modes (fdd/). */
export interface FddRun {
  readonly modes: Mode[];
  readonly singularValues: SingularValueSpectrum;
  readonly parameters: Record<string, number>;
  readonly timings: Record<string, number>;
}

export async function identifyFdd(
  channels: readonly Float64Array[],
  fs: number,
  band: { readonly fmin: number | undefined; readonly fmax: number },
  options: AnalyzeOptions,
  findings: Findings,
  checkpoint: Checkpoint,
): Promise<FddRun> {
  const n = channels[0]?.length ?? 0;
  const timings: Record<string, number> = {};
  const nperseg = options.nperseg ?? defaultNperseg(n);
  if (nperseg > n)
    throw new InsufficientDataError(`nperseg ${nperseg} exceeds the ${n} samples after decimation`);
  const parameters: Record<string, number> = { nperseg, overlap: options.overlap ?? DEFAULT_OVERLAP };
  let t0 = performance.now();
  const spectrum = await fddSpectrum(
    channels,
    fs,
    { nperseg, ...(options.overlap !== undefined ? { overlap: options.overlap } : {}) },
    checkpoint.child(0, 0.95),
  );
  timings.spectrum = seconds(t0);
  if (spectrum.failedLines !== undefined)
    findings.add({
      code: 'NOT_CONVERGED',
      severity: 'warning',
      message: `the eigen-decomposition of the spectral matrix did not converge at ${spectrum.failedLines} of ${spectrum.frequencies.length} lines (left empty)`,
      fix: 'check the record for non-finite or constant stretches',
      evidence: { failed_lines: spectrum.failedLines },
    });
  // The spectrum as computed, for the result; harmonic lines are then interpolated away in place.
  const singularValues = { frequencies: spectrum.frequencies, values: spectrum.values.map((v) => v.slice()) };
  if (options.harmonics !== false) {
    t0 = performance.now();
    const scan = await scanHarmonics(
      spectrumView(spectrum),
      channels,
      fs,
      { fmin: band.fmin ?? 0, fmax: band.fmax },
      checkpoint.child(0.95, 1),
    );
    for (const line of scan.lines) {
      findings.harmonics.push(harmonicOf(line, 'spectrum'));
      findings.add(harmonicFinding(line));
    }
    timings.harmonics = seconds(t0);
  }
  t0 = performance.now();
  const bands = options.bands ?? [[band.fmin ?? 0, band.fmax] as const];
  const peaks = pickPeaks(spectrum, { ...options.peaks, bands });
  timings.peaks = seconds(t0);
  const df = (spectrum.frequencies[1] ?? 0) - (spectrum.frequencies[0] ?? 0);
  let modes: Mode[];
  if (options.method === 'efdd') {
    t0 = performance.now();
    modes = efdd(spectrum, peaks, options.efdd);
    timings.efdd = seconds(t0);
    for (const m of modes)
      if (m.error !== undefined)
        findings.add({
          code: 'DAMPING_FAILED',
          severity: 'warning',
          message: `mode at ${m.frequency.toFixed(3)} Hz: ${m.error}`,
          fix: 'use SSI for this mode, or a longer record (larger nperseg)',
          about: m,
        });
  } else {
    modes = fddModes(spectrum, peaks);
  }
  if (options.uncertainty !== false && modes.length > 0) {
    t0 = performance.now();
    const segments = {
      method: options.method === 'efdd' ? ('efdd' as const) : ('fdd' as const),
      ...(options.overlap === undefined ? {} : { overlap: options.overlap }),
    };
    const found = await fddUncertainty(
      channels,
      spectrum,
      peaks,
      modes,
      options.efdd === undefined ? segments : { ...segments, efdd: options.efdd },
      checkpoint.child(0.95, 1),
    );
    // The same objects keep their findings (DAMPING_FAILED names its mode).
    modes.forEach((m, i) => {
      const u = found[i];
      if (u !== undefined) Object.assign(m, { uncertainty: u });
    });
    timings.uncertainty = seconds(t0);
    const groups = Math.min(spectrum.csd.segments, DEFAULT_JACKKNIFE_GROUPS);
    if (groups < MIN_JACKKNIFE_GROUPS)
      findings.add({
        code: 'NO_UNCERTAINTY',
        severity: 'info',
        message: `no uncertainty: the spectrum averages ${spectrum.csd.segments} segments, and at least ${MIN_JACKKNIFE_GROUPS} are needed for a standard deviation worth reporting`,
        fix: 'a longer record, or a smaller nperseg',
        evidence: { segments: spectrum.csd.segments },
      });
    else parameters.uncertaintyBlocks = groups;
  }
  peaks.forEach((p, i) => {
    const m = modes[i];
    if (p.merged !== true || m === undefined) return;
    const second = p.mergedFrequency;
    findings.add({
      code: 'MODES_MERGED',
      severity: 'warning',
      message: `mode at ${p.frequency.toFixed(3)} Hz: a second mode shape peaks at the same frequency line (resolution ${df.toPrecision(3)} Hz)${second === undefined ? '' : `, its density at ${second.toFixed(3)} Hz`}: probably two modes closer than the resolution, reported as one`,
      fix: 'a longer record (larger nperseg) or SSI can separate them',
      about: m,
      evidence: {
        resolution_hz: df,
        f1_hz: p.frequency,
        ...(second === undefined ? {} : { f2_hz: second }),
      },
    });
  });
  closePairs(modes, findings);
  if (modes.length === 0)
    findings.add({
      code: 'NO_MODES',
      severity: 'warning',
      message: 'no spectral peak passed the peak-picking tests in the band',
      fix: 'check fmin/fmax and the record length, or try SSI',
    });
  return { modes, singularValues, parameters, timings };
}

/** The trace and auto-spectra of a decomposed spectrum, for the harmonic scan. */
function spectrumView(spectrum: FddSpectrum): SpectralView {
  const { csd } = spectrum;
  const lines = csd.frequencies.length;
  const trace = new Float64Array(lines);
  // Σ of the eigenvalues = trace of G.
  for (const v of spectrum.values)
    for (let k = 0; k < lines; k++) trace[k] = (trace[k] as number) + (v[k] as number);
  return {
    frequencies: csd.frequencies,
    trace,
    channels: csd.channels,
    auto: (c, k) => csd.re[pairIndex(c, c) * lines + k] as number,
    removeSpan: (from, to) => {
      removeLines(spectrum, [{ from, to }]);
      for (let k = from; k <= to; k++) {
        let t = 0;
        for (const v of spectrum.values) t += v[k] as number;
        trace[k] = t;
      }
    },
  };
}

/**
 * Neighbouring FDD/EFDD modes closer than a half-power bandwidth (2ζf) of either: FDD tells them
 * apart only through their shapes, so their frequencies, shapes and damping are less reliable
 * than those of isolated modes (measured: shapes MAC 0.83–0.99 with the truth half a bandwidth
 * apart; two modes 0.1 bandwidth apart reported 0.5 % off).
 */
function closePairs(modes: readonly Mode[], findings: Findings): void {
  for (let i = 1; i < modes.length; i++) {
    const a = modes[i - 1] as Mode;
    const b = modes[i] as Mode;
    const width = Math.max(2 * a.damping * a.frequency, 2 * b.damping * b.frequency);
    if (b.frequency - a.frequency < width) {
      findings.add({
        code: 'MODES_CLOSE',
        severity: 'warning',
        message: `modes at ${a.frequency.toFixed(3)} and ${b.frequency.toFixed(3)} Hz are closer than a half-power bandwidth (${width.toPrecision(2)} Hz): FDD separates them only by their shapes, so their frequencies, shapes and damping are less reliable`,
        fix: 'SSI resolves such pairs better',
        about: b,
        evidence: { f1_hz: a.frequency, f2_hz: b.frequency, bandwidth_hz: width },
      });
    }
  }
}

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}
