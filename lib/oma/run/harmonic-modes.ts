import type { Mode } from '../modal/types.js';
import { bandKurtosis } from '../signal/band-kurtosis.js';
import { harmonicRule, type LineEvidence } from './harmonic-rules.js';
import type { HarmonicLine, LineVerdict, SpectralView } from './harmonics.js';

/**
 * The harmonic scan (harmonics.ts) for SSI: a spectral view of the channels' separate
 * auto-spectra, and the check of identified modes the scan had no verdict for.
 */

/** A spectral view of separate auto-spectra (fdd/lowest-peak.ts), cleaned by interpolation. */
export function autoSpectraView(spectra: {
  readonly frequencies: Float64Array;
  readonly autos: readonly Float64Array[];
  readonly trace: Float64Array;
}): SpectralView {
  const { frequencies, autos, trace } = spectra;
  const interpolate = (y: Float64Array, from: number, to: number): void => {
    const a = Math.max(0, from - 1);
    const b = Math.min(y.length - 1, to + 1);
    for (let k = a + 1; k < b; k++)
      y[k] = (y[a] as number) + (((y[b] as number) - (y[a] as number)) * (k - a)) / (b - a);
  };
  return {
    frequencies,
    trace,
    channels: autos.length,
    auto: (c, k) => (autos[c] as Float64Array)[k] as number,
    removeSpan: (from, to) => {
      for (const y of autos) interpolate(y, from, to);
      interpolate(trace, from, to);
    },
  };
}

/**
 * Modes identified where the spectral scan had no verdict (weak lines it did not test), checked
 * like any line — the band-passed kurtosis along the mode's shape, its damping and MPC — with the
 * harmonics already found notched out. Returns the modes that are harmonics.
 */
export function harmonicModes(
  modes: readonly Mode[],
  channels: readonly Float64Array[],
  fs: number,
  scan: { readonly lines: readonly HarmonicLine[]; readonly verdicts: readonly LineVerdict[] },
  df: number,
): { mode: Mode; line: HarmonicLine }[] {
  const out: { mode: Mode; line: HarmonicLine }[] = [];
  const n = channels[0]?.length ?? 0;
  if (n < 64) return out;
  const work = new Float64Array(n);
  for (const m of modes) {
    const f = m.frequency;
    const zeta = Number.isFinite(m.damping) && m.damping > 0 ? m.damping : 0;
    const reach = Math.max(2 * df, zeta * f);
    if (scan.verdicts.some((v) => Math.abs(v.frequency - f) <= reach)) continue;
    const w = Math.max(3 * zeta * f, 2.5 * df);
    const band = [Math.max(df, f - w), Math.min(fs / 2 - df, f + w)] as const;
    if (!(band[1] > band[0])) continue;
    const notches = scan.lines
      .filter((h) => Math.abs(h.frequency - f) <= w + 4 * df)
      .map(
        (h) =>
          [
            h.frequency * (1 - 2 * h.apparentDamping) - 2 * df,
            h.frequency * (1 + 2 * h.apparentDamping) + 2 * df,
          ] as const,
      );
    const stats = bandKurtosis(channels, fs, m.shape, band, work, notches);
    const evidence: LineEvidence = {
      frequency: f,
      kurtosis: stats.kurtosis,
      duration: stats.samples / fs,
      apparentDamping: zeta,
      damping: zeta,
      ...(m.mpc === undefined ? {} : { mpc: m.mpc }),
    };
    const rule = harmonicRule(evidence, false);
    if (rule === undefined) continue;
    out.push({
      mode: m,
      line: {
        frequency: f,
        from: 0,
        to: 0,
        apparentDamping: zeta,
        rule,
        evidence: {
          rule,
          kurtosis: round(stats.kurtosis),
          kurtosis_band_hz: `${round(band[0])}–${round(band[1])}`,
          damping: round(zeta),
          ...(m.mpc === undefined ? {} : { mpc: round(m.mpc) }),
        },
      },
    });
  }
  return out;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}
