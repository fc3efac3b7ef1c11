import type { CrossSpectralDensity } from '../signal/welch.js';

/**
 * The statistical scatter of a Welch spectral estimate, for judging peaks against it rather than
 * against fixed decades. Each line of an average of K modified periodograms is a χ²_ν/ν multiple
 * of the true density, with (Welch 1967, "The use of fast Fourier transform for the estimation
 * of power spectra", IEEE Trans. Audio Electroacoust. 15, eq. for overlapped segments)
 *
 *   2/ν = (1/K) Σ_{|j|<K} (1 − |j|/K) ρ_w(jD)²,   ρ_w(s) = Σ_n w_n w_{n+s} / Σ_n w_n²,
 *
 * D the segment step (Hann, 50 % overlap: ρ_w(D) = 1/6, ν ≈ 1.89 K). Neighbouring lines are
 * correlated through the window: for a locally flat spectrum the correlation of lines d apart is
 * ρ_d = |Σ_n w_n² e^{−2πidn/N}|² / (Σ_n w_n²)² (Hann: 0.444, 0.028, 0). An average of m
 * neighbouring lines then has ν_m = ν·m / (1 + 2 Σ_{d<m} (1 − d/m) ρ_d) degrees of freedom, and
 * its log10 a standard deviation 0.4343·√ψ₁(ν_m/2) (the variance of ln χ²_ν is the trigamma
 * ψ₁(ν/2); Bendat & Piersol, Random Data, §8.5).
 */
export class WelchScatter {
  /** Degrees of freedom of one line. */
  readonly dof: number;
  private readonly rho: Float64Array;

  constructor(csd: Pick<CrossSpectralDensity, 'window' | 'segments' | 'step'>) {
    const w = csd.window;
    const n = w.length;
    let w2 = 0;
    for (const v of w) w2 += v * v;
    // Variance factor of the segment average (Welch's formula).
    const k = Math.max(1, csd.segments);
    let factor = 1;
    for (let j = 1; j < k && j * csd.step < n; j++) {
      let c = 0;
      for (let i = 0; i + j * csd.step < n; i++) c += (w[i] as number) * (w[i + j * csd.step] as number);
      factor += 2 * (1 - j / k) * (c / w2) ** 2;
    }
    this.dof = (2 * k) / factor;
    // Correlation of lines d apart: the window's squared magnitude transformed at d/N.
    this.rho = new Float64Array(MAX_CORRELATED + 1);
    for (let d = 1; d <= MAX_CORRELATED; d++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * d * i) / n;
        const v = (w[i] as number) ** 2;
        re += v * Math.cos(a);
        im -= v * Math.sin(a);
      }
      this.rho[d] = (re * re + im * im) / (w2 * w2);
    }
  }

  /** Standard deviation of log10 of the average of m neighbouring lines. */
  sigma(m: number): number {
    const lines = Math.max(1, Math.round(m));
    let factor = 1;
    for (let d = 1; d < Math.min(lines, MAX_CORRELATED + 1); d++)
      factor += 2 * (1 - d / lines) * (this.rho[d] as number);
    const dof = (this.dof * lines) / factor;
    return Math.LOG10E * Math.sqrt(trigamma(dof / 2));
  }
}

/** Lines further apart than this are uncorrelated for any window used here (Hann: ρ₃ = 0). */
const MAX_CORRELATED = 8;

/**
 * ψ₁(x) by the recurrence ψ₁(x) = ψ₁(x + 1) + 1/x² up to x ≥ 10 and the asymptotic series
 * 1/x + 1/(2x²) + 1/(6x³) − 1/(30x⁵) + 1/(42x⁷) − 1/(30x⁹) (Abramowitz & Stegun 6.4.12): < 1e-12.
 */
export function trigamma(x: number): number {
  let sum = 0;
  let y = x;
  while (y < 10) {
    sum += 1 / (y * y);
    y += 1;
  }
  const r = 1 / y;
  const r2 = r * r;
  return sum + r + r2 / 2 + r * r2 * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 / 30)));
}
