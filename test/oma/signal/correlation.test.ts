import { describe, expect, it } from 'vitest';
import { outputCorrelations } from '../../../lib/oma/signal/correlation.js';
import { blockToeplitz } from '../../../lib/oma/ssi/toeplitz.js';
import { EPS, expectArrayClose, randomArray } from '../support/assert-close.js';

describe('outputCorrelations (block FFT)', () => {
  it('equals the direct unbiased sums R_k[i][j] = Σ y_i[t+k] y_j[t] / (N-k), with reference channels', async () => {
    // Prepare: lengths that are not multiples of the block, lags spanning block boundaries
    const n = 5003;
    const channels = [randomArray(n, 1), randomArray(n, 2), randomArray(n, 3)];
    const refs = [2, 0];
    const maxLag = 37;
    // Act
    const corr = await outputCorrelations(channels, maxLag, { references: refs });
    // Assess
    const direct = new Float64Array((maxLag + 1) * 3 * 2);
    for (let k = 0; k <= maxLag; k++) {
      for (let i = 0; i < 3; i++) {
        refs.forEach((ref, j) => {
          let s = 0;
          const yi = channels[i] as Float64Array;
          const yj = channels[ref] as Float64Array;
          for (let t = 0; t < n - k; t++) s += (yi[t + k] as number) * (yj[t] as number);
          direct[(k * 3 + i) * 2 + j] = s / (n - k);
        });
      }
    }
    expectArrayClose(corr.data, direct, 1e3 * EPS, 'FFT correlations vs direct sums');
  });

  it('builds the block Toeplitz matrix T[a][b] = R_{br+a-b}', async () => {
    // Prepare
    const channels = [randomArray(400, 4), randomArray(400, 5)];
    const br = 4;
    const corr = await outputCorrelations(channels, 2 * br);
    // Act
    const t = blockToeplitz(corr, br);
    // Assess
    expect(t.rows).toBe(8);
    expect(t.cols).toBe(8);
    for (let a = 0; a < br; a++) {
      for (let b = 0; b < br; b++) {
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 2; j++) {
            const lag = br + a - b;
            expect(t.data[(a * 2 + i) * 8 + b * 2 + j]).toBe(corr.data[(lag * 2 + i) * 2 + j]);
          }
        }
      }
    }
  });
});
