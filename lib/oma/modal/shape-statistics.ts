/**
 * σ of a unit-max real mode shape and the range of MAC(estimate, truth) it implies, from samples
 * of the shape's first-order changes whose outer products sum to its covariance, Σ = Σ_g δ_g δ_gᵀ
 * (block changes for SSI, scaled jackknife deviations for FDD/EFDD).
 *
 * MAC: for a real shape φ and an error δ, 1 − MAC(φ + δ, φ) = ‖δ_⊥‖²/‖φ‖² + O(‖δ‖³), δ_⊥ the part
 * of δ orthogonal to φ. For Gaussian δ this is a quadratic form with mean tr Σ_⊥ and variance
 * 2 tr Σ_⊥² (Mathai & Provost 1992, Quadratic Forms in Random Variables, §3.2); with the samples'
 * Gram matrix G_gh = δ_⊥gᵀ δ_⊥h, tr Σ_⊥ = tr G and tr Σ_⊥² = ‖G‖_F². The interval is the mean ± 2
 * standard deviations, clipped to [0, 1].
 */
export function shapeStatistics(
  shape: Float64Array,
  samples: Float64Array,
  count: number,
): { shapeStd: Float64Array; macInterval: [number, number] } {
  const l = shape.length;
  const shapeStd = new Float64Array(l);
  for (let c = 0; c < l; c++) {
    let s = 0;
    for (let g = 0; g < count; g++) s += (samples[g * l + c] as number) ** 2;
    shapeStd[c] = Math.sqrt(s);
  }
  let norm2 = 0;
  for (const v of shape) norm2 += v * v;
  if (!(norm2 > 0)) return { shapeStd, macInterval: [0, 1] };
  const perp = new Float64Array(count * l);
  for (let g = 0; g < count; g++) {
    let dot = 0;
    for (let c = 0; c < l; c++) dot += (shape[c] as number) * (samples[g * l + c] as number);
    for (let c = 0; c < l; c++)
      perp[g * l + c] = (samples[g * l + c] as number) - (dot / norm2) * (shape[c] as number);
  }
  let mean = 0;
  let frobenius = 0;
  for (let g = 0; g < count; g++) {
    for (let h = 0; h <= g; h++) {
      let s = 0;
      for (let c = 0; c < l; c++) s += (perp[g * l + c] as number) * (perp[h * l + c] as number);
      if (g === h) mean += s;
      frobenius += (g === h ? 1 : 2) * s * s;
    }
  }
  const sd = Math.sqrt(2 * frobenius);
  const lo = Math.max(0, 1 - (mean + 2 * sd) / norm2);
  const hi = Math.min(1, 1 - Math.max(0, mean - 2 * sd) / norm2);
  return { shapeStd, macInterval: [lo, hi] };
}
