import { describe, expect, it } from 'vitest';
import { pairIndex, welchCsd } from '../../../lib/oma/signal/welch.js';
import { expectArrayClose, expectClose, randomArray } from '../support/assert-close.js';
import { scipyReference } from '../support/fixtures.js';

const ref = scipyReference().csd;

describe('welchCsd', () => {
  it('matches scipy.signal.csd / welch (Hann, 50 % overlap, density scaling)', async () => {
    // Prepare
    const x = Float64Array.from(ref.x);
    const y = Float64Array.from(ref.y);
    // Act
    const csd = await welchCsd([x, y], ref.fs, { nperseg: ref.nperseg, overlap: ref.noverlap / ref.nperseg });
    // Assess: G_10 = X_1 X_0* = scipy csd(x, y); G_00 = welch(x)
    const lines = csd.frequencies.length;
    const p10 = pairIndex(1, 0) * lines;
    const scale = Math.max(...ref.pxx);
    expectArrayClose(csd.frequencies, ref.frequencies, 1e-12, 'frequencies');
    expectArrayClose(csd.re.subarray(p10, p10 + lines), ref.pxyRe, 1e-12 * scale, 'Re Pxy');
    expectArrayClose(csd.im.subarray(p10, p10 + lines), ref.pxyIm, 1e-12 * scale, 'Im Pxy');
    expectArrayClose(csd.re.subarray(0, lines), ref.pxx, 1e-12 * scale, 'Pxx');
  });

  it('integrates to the variance (Parseval for the one-sided density)', async () => {
    // Prepare: white noise of variance 1/3 (uniform on [-1, 1))
    const n = 1 << 16;
    const x = randomArray(n, 77);
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const fs = 50;
    // Act
    const csd = await welchCsd([x], fs, { nperseg: 1024 });
    // Assess
    const df = fs / 1024;
    let integral = 0;
    for (let k = 0; k < csd.frequencies.length; k++) integral += (csd.re[k] as number) * df;
    expectClose(integral, variance, 0.02 * variance, '∫G df vs variance');
    expect(csd.segments).toBe(Math.floor((n - 1024) / 512) + 1);
  });
});
