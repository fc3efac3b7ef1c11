import type { OutputCorrelations } from '../signal/correlation.js';

/**
 * The block Toeplitz matrix of output correlations (Peeters & De Roeck 1999, eq. 7):
 *
 *   T₁|ᵢ = ⎡ R_i      R_{i-1}  …  R_1 ⎤
 *          ⎢ R_{i+1}  R_i      …  R_2 ⎥
 *          ⎢ …                    …   ⎥
 *          ⎣ R_{2i-1} R_{2i-2} …  R_i ⎦   = O_i Γ_i  (observability × reversed controllability)
 *
 * with i = br block rows; size (br·l) × (br·r), row-major. Needs lags 1..2br-1.
 */
export function blockToeplitz(
  corr: OutputCorrelations,
  br: number,
): { data: Float64Array; rows: number; cols: number } {
  const l = corr.channels;
  const r = corr.references.length;
  const rows = br * l;
  const cols = br * r;
  const data = new Float64Array(rows * cols);
  for (let a = 0; a < br; a++) {
    for (let b = 0; b < br; b++) {
      const lag = br + a - b;
      for (let i = 0; i < l; i++) {
        const src = (lag * l + i) * r;
        const dst = (a * l + i) * cols + b * r;
        for (let j = 0; j < r; j++) data[dst + j] = corr.data[src + j] as number;
      }
    }
  }
  return { data, rows, cols };
}
