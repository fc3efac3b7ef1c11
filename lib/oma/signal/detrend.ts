/**
 * Removal of the mean or of the least-squares straight line from a channel, in place.
 * The line fit uses the centred time index so the normal equations decouple:
 * slope = Σ (t - t̄)(x - x̄) / Σ (t - t̄)², with Σ (t - t̄)² = n(n² - 1)/12 in closed form.
 */
export type DetrendMode = 'none' | 'mean' | 'linear';

export function detrendInPlace(x: Float64Array | Float32Array, mode: DetrendMode): void {
  const n = x.length;
  if (mode === 'none' || n === 0) return;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i] as number;
  const mean = sum / n;
  if (mode === 'mean' || n < 2) {
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) - mean;
    return;
  }
  const tMean = (n - 1) / 2;
  let sxt = 0;
  for (let i = 0; i < n; i++) sxt += (i - tMean) * (x[i] as number);
  const stt = (n * (n * n - 1)) / 12;
  const slope = sxt / stt;
  for (let i = 0; i < n; i++) x[i] = (x[i] as number) - mean - slope * (i - tMean);
}
