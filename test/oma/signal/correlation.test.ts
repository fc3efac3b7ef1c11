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

  it('keeps the sums of consecutive blocks: each the direct sum over its samples, all adding up to R', async () => {
    // Prepare
    const n = 9001;
    const channels = [randomArray(n, 7), randomArray(n, 8)];
    const maxLag = 20;
    // Act
    const corr = await outputCorrelations(channels, maxLag, { references: [1], blocks: 5 });
    // Assess
    const sums = corr.blockSums ?? new Float64Array(0);
    const starts = corr.blockStarts ?? new Int32Array(0);
    expect(starts.length).toBe(6);
    expect([starts[0], starts[5]]).toEqual([0, n]);
    const stride = (maxLag + 1) * 2;
    for (let g = 0; g < 5; g++) {
      const direct = new Float64Array(stride);
      for (let k = 0; k <= maxLag; k++) {
        for (let i = 0; i < 2; i++) {
          let s = 0;
          for (let t = starts[g] as number; t < Math.min(starts[g + 1] as number, n - k); t++)
            s +=
              ((channels[i] as Float64Array)[t + k] as number) * ((channels[1] as Float64Array)[t] as number);
          direct[k * 2 + i] = s;
        }
      }
      expectArrayClose(sums.subarray(g * stride, (g + 1) * stride), direct, 1e-10, `block ${g} sums`);
    }
    const total = Float64Array.from({ length: stride }, (_, idx) => {
      let s = 0;
      for (let g = 0; g < 5; g++) s += sums[g * stride + idx] as number;
      return s / (n - Math.floor(idx / 2));
    });
    expectArrayClose(corr.data, total, 1e3 * EPS, 'R from the block sums');
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
