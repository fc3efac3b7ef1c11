import { describe, it } from 'vitest';
import { trigamma, WelchScatter } from '../../../lib/oma/fdd/scatter.js';
import { Xoshiro128 } from '../../../lib/oma/linalg/random.js';
import { welchCsd } from '../../../lib/oma/signal/welch.js';
import { expectClose } from '../support/assert-close.js';

/** The Welch scatter model against the scatter of white-noise spectra. */
describe('Welch scatter', () => {
  it('has Welch’s degrees of freedom for Hann segments overlapping by half', async () => {
    const csd = await welchCsd([new Float64Array(1024 * 64)], 100, { nperseg: 1024 });
    const scatter = new WelchScatter(csd);
    // ρ_w(D) = 1/6 for Hann at 50 %: 2/ν = (1/K)(1 + 2(1 − 1/K)/36)
    const k = csd.segments;
    expectClose(scatter.dof, (2 * k) / (1 + (2 * (1 - 1 / k)) / 36), 1e-3, 'degrees of freedom');
  });

  it('predicts the spread of log10 of single lines and of averages of neighbouring lines', async () => {
    // Prepare: white noise, 127 segments of 1024 → a flat true spectrum, so the spread of log10
    // over the lines is the estimate's own
    const x = new Float64Array(1024 * 64);
    new Xoshiro128(11).fillGaussian(x);
    const csd = await welchCsd([x], 100, { nperseg: 1024 });
    const scatter = new WelchScatter(csd);
    for (const m of [1, 3, 8]) {
      // Act: averages of m lines, every m-th (so the averages do not share lines)
      const logs: number[] = [];
      for (let k = 4; k + m < 508; k += m) {
        let s = 0;
        for (let j = 0; j < m; j++) s += csd.re[k + j] as number;
        logs.push(Math.log10(s / m));
      }
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
      // Assess: within the sampling error of a standard deviation from ~500/m values (±15 %)
      expectClose(sd, scatter.sigma(m), 0.15 * scatter.sigma(m), `sd of log10 of ${m}-line averages`);
    }
  });

  it('computes the trigamma function', () => {
    expectClose(trigamma(1), (Math.PI * Math.PI) / 6, 1e-10, 'ψ₁(1)');
    expectClose(trigamma(0.5), (Math.PI * Math.PI) / 2, 1e-10, 'ψ₁(1/2)');
    expectClose(trigamma(20), 0.05127082293, 1e-9, 'ψ₁(20)');
  });
});
