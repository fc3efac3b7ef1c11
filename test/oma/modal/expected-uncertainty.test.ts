import { describe, expect, it } from 'vitest';
import {
  bandwidthFactors,
  DEFAULT_BANDWIDTH_FACTOR,
  expectedUncertainty,
} from '../../../lib/oma/modal/expected-uncertainty.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost, expectClose } from '../support/assert-close.js';
import { frameModel } from '../support/scenarios.js';

/**
 * Au's uncertainty law (Au 2014): the closed-form bandwidth factors against the Fisher
 * information they come from, the law's scaling, and the engine's scatter against it.
 */
function simpson(f: (x: number) => number, a: number, b: number, n = 20_000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

describe("Au's uncertainty law", () => {
  it('has the bandwidth factors of the Fisher information of an SDOF spectrum over |x| ≤ κ', () => {
    for (const kappa of [0.5, 1, 2, 3, 10]) {
      // Prepare: ∂ln S/∂f ∝ 2x/(1+x²), ∂ln S/∂ζ ∝ −2/(1+x²), ∂ln S/∂ln A = 1 (level unknown)
      const iff = simpson((x) => (4 * x * x) / (1 + x * x) ** 2, -kappa, kappa);
      const izz = simpson((x) => 4 / (1 + x * x) ** 2, -kappa, kappa);
      const iza = simpson((x) => -2 / (1 + x * x), -kappa, kappa);
      const iaa = 2 * kappa;
      // Act
      const { bf, bz } = bandwidthFactors(kappa);
      // Assess: B = information / (2π), the level's share removed from ζ's (Schur complement)
      expectClose(bf, iff / (2 * Math.PI), 1e-9, `B_f(${kappa})`);
      expectClose(bz, (izz - (iza * iza) / iaa) / (2 * Math.PI), 1e-9, `B_ζ(${kappa})`);
    }
    const wide = bandwidthFactors(1e9);
    expectClose(wide.bf, 1, 1e-8, 'B_f(∞)');
    expectClose(wide.bz, 1, 1e-8, 'B_ζ(∞)');
  });

  it('scales as √(ζ/N_c) for the frequency and 1/√(ζN_c) for the damping', () => {
    const a = expectedUncertainty(2, 0.01, 600);
    const b = expectedUncertainty(2, 0.01, 2400);
    const { bf, bz } = bandwidthFactors(DEFAULT_BANDWIDTH_FACTOR);
    expectClose(a.damping_cv, Math.sqrt(1 / (2 * Math.PI * 0.01 * 1200 * bz)), 1e-12, 'cv(ζ)');
    expectClose(a.frequency_cv, Math.sqrt(0.01 / (2 * Math.PI * 1200 * bf)), 1e-12, 'cv(f)');
    expectClose(b.damping_cv, a.damping_cv / 2, 1e-12, 'cv(ζ) for a record 4× longer');
    expectClose(
      expectedUncertainty(2, 0.01, a.record_for_20pct).damping_cv,
      0.2,
      1e-12,
      'cv(ζ) at record_for_20pct',
    );
    expect(Number.isNaN(expectedUncertainty(2, Number.NaN, 600).damping_cv)).toBe(true);
  });

  it("matches the spread of SSI's damping ratios over seeds within a factor of two", async () => {
    // Prepare: the 5-storey frame (3.0–17.7 Hz, ζ 1–2.5 %), 5-minute records, 6 seeds
    const model = frameModel(5, 3, 0.01, 0.025);
    const errors: number[][] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const record = await simulateResponse(model, { fs: 100, duration: 300, seed, noiseFraction: 0.05 });
      // Act
      const result = await analyzeRecord(record.channels, 100, { method: 'ssi', fmax: 20 });
      record.modes.forEach((t, j) => {
        const m = result.modes.find((x) => Math.abs(x.frequency / t.frequency - 1) < 0.03);
        if (m === undefined) return;
        const list = errors[j] ?? [];
        list.push(m.damping / t.damping - 1);
        errors[j] = list;
      });
    }
    // Assess: RMS error over expected cv, averaged over the modes
    const ratios = model.frequencies.reduce<number[]>((acc, f, j) => {
      const e = errors[j] ?? [];
      if (e.length < 4) return acc;
      const rms = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
      acc.push(rms / expectedUncertainty(f, model.dampingRatios[j] as number, 300).damping_cv);
      return acc;
    }, []);
    expect(ratios.length).toBeGreaterThanOrEqual(3);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expectAtLeast(
      mean,
      0.5,
      `mean RMS damping error / expected cv (ratios ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
    expectAtMost(
      mean,
      2,
      `mean RMS damping error / expected cv (ratios ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
  });
});
