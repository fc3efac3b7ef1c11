import { describe, it } from 'vitest';
import { BluesteinFft, ComplexFft, RealFft } from '../../../lib/oma/signal/fft.js';
import { EPS, expectArrayClose, expectClose, norm2, randomArray } from '../support/assert-close.js';

/** O(n²) reference DFT. */
function dft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      sr += (re[j] as number) * Math.cos(a) - (im[j] as number) * Math.sin(a);
      si += (re[j] as number) * Math.sin(a) + (im[j] as number) * Math.cos(a);
    }
    outRe[k] = sr;
    outIm[k] = si;
  }
  return [outRe, outIm];
}

describe('ComplexFft', () => {
  it('matches the direct DFT for every power of two up to 256', () => {
    for (let n = 1; n <= 256; n *= 2) {
      // Prepare
      const re = randomArray(n, n);
      const im = randomArray(n, n + 1000);
      const [expRe, expIm] = dft(re, im);
      // Act
      new ComplexFft(n).forward(re, im);
      // Assess: error of a stable FFT grows like eps·log2(n)·‖x‖
      const tol = 20 * EPS * Math.max(1, Math.log2(n)) * Math.sqrt(n) * Math.sqrt(n);
      expectArrayClose(re, expRe, tol, `Re FFT n=${n}`);
      expectArrayClose(im, expIm, tol, `Im FFT n=${n}`);
    }
  });

  it('round-trips through the inverse and satisfies Parseval', () => {
    // Prepare
    const n = 4096;
    const re = randomArray(n, 1);
    const im = randomArray(n, 2);
    const re0 = re.slice();
    const im0 = im.slice();
    const fft = new ComplexFft(n);
    // Act
    fft.forward(re, im);
    const energyFreq = (norm2(re) ** 2 + norm2(im) ** 2) / n;
    fft.inverse(re, im);
    // Assess
    const energyTime = norm2(re0) ** 2 + norm2(im0) ** 2;
    expectClose(energyFreq, energyTime, 50 * EPS * Math.log2(n) * energyTime, 'Parseval');
    expectArrayClose(re, re0, 50 * EPS * Math.log2(n), 'inverse Re');
    expectArrayClose(im, im0, 50 * EPS * Math.log2(n), 'inverse Im');
  });
});

describe('RealFft', () => {
  it('equals the complex transform of the same real signal, and inverts exactly', () => {
    for (const n of [2, 4, 8, 64, 1024]) {
      // Prepare
      const x = randomArray(n, 7 * n);
      const re = x.slice();
      const im = new Float64Array(n);
      new ComplexFft(n).forward(re, im);
      const plan = new RealFft(n);
      const outRe = new Float64Array(n / 2 + 1);
      const outIm = new Float64Array(n / 2 + 1);
      // Act
      plan.forward(x, outRe, outIm);
      const back = new Float64Array(n);
      plan.inverse(outRe, outIm, back);
      // Assess
      const tol = 20 * EPS * Math.max(1, Math.log2(n)) * n;
      expectArrayClose(outRe, re.subarray(0, n / 2 + 1), tol, `real FFT Re n=${n}`);
      expectArrayClose(outIm, im.subarray(0, n / 2 + 1), tol, `real FFT Im n=${n}`);
      expectArrayClose(back, x, 20 * EPS * Math.max(1, Math.log2(n)), `real inverse n=${n}`);
    }
  });

  it('puts a pure cosine into a single bin with amplitude n/2', () => {
    // Prepare
    const n = 512;
    const bin = 37;
    const x = new Float64Array(n);
    for (let j = 0; j < n; j++) x[j] = Math.cos((2 * Math.PI * bin * j) / n);
    const re = new Float64Array(n / 2 + 1);
    const im = new Float64Array(n / 2 + 1);
    // Act
    new RealFft(n).forward(x, re, im);
    // Assess
    expectClose(re[bin] as number, n / 2, 1e-10 * n, 'cosine bin amplitude');
    re[bin] = 0;
    expectArrayClose(re, new Float64Array(n / 2 + 1), 1e-10 * n, 'leakage into other bins');
  });
});

describe('BluesteinFft', () => {
  it('matches the direct DFT for lengths that are not powers of two', () => {
    for (const n of [1, 3, 5, 12, 100, 127]) {
      // Prepare
      const re = randomArray(n, 3 * n);
      const im = randomArray(n, 5 * n);
      const [expRe, expIm] = dft(re, im);
      const plan = new BluesteinFft(n);
      const re0 = re.slice();
      // Act
      plan.forward(re, im);
      // Assess
      const tol = 200 * EPS * n * Math.log2(4 * n);
      expectArrayClose(re, expRe, tol, `Bluestein Re n=${n}`);
      expectArrayClose(im, expIm, tol, `Bluestein Im n=${n}`);
      plan.inverse(re, im);
      expectArrayClose(re, re0, tol, `Bluestein inverse n=${n}`);
    }
  });
});
