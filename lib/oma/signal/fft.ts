import { InvalidOptionError } from '../errors.js';

/**
 * Fast Fourier transforms on split real/imaginary Float64Arrays.
 *
 * - {@link ComplexFft}: iterative radix-2 decimation-in-time (Cooley & Tukey 1965) for powers of two,
 *   with precomputed twiddles and bit-reversal permutation; in place, no allocation per call.
 * - {@link RealFft}: a length-n real transform through one complex transform of length n/2 and
 *   the standard even/odd split (e.g. Press et al., Numerical Recipes §12.3), giving bins 0..n/2.
 * - {@link BluesteinFft}: any length n, as a chirp-z convolution evaluated with power-of-two
 *   transforms (Bluestein 1970).
 *
 * Sign convention: forward X[k] = Σ x[j] e^{-2πi jk/n}; inverse includes the 1/n factor, so
 * inverse(forward(x)) = x.
 */

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** Smallest power of two ≥ n (n ≥ 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class ComplexFft {
  readonly n: number;
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  private readonly swaps: Uint32Array;

  constructor(n: number) {
    if (!isPowerOfTwo(n)) throw new InvalidOptionError('n', `FFT length must be a power of two, got ${n}.`);
    this.n = n;
    const half = n >> 1;
    this.cosTable = new Float64Array(Math.max(1, half));
    this.sinTable = new Float64Array(Math.max(1, half));
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / n;
      this.cosTable[k] = Math.cos(angle);
      this.sinTable[k] = Math.sin(angle);
    }
    // Bit-reversal permutation stored as the list of (i, j) pairs with i < j.
    const pairs: number[] = [];
    const bits = Math.round(Math.log2(n));
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
      if (i < r) pairs.push(i, r);
    }
    this.swaps = Uint32Array.from(pairs);
  }

  /** In-place forward transform. */
  forward(re: Float64Array, im: Float64Array): void {
    this.transform(re, im, -1);
  }

  /** In-place inverse transform, scaled by 1/n. */
  inverse(re: Float64Array, im: Float64Array): void {
    this.transform(re, im, 1);
    const n = this.n;
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] = (re[i] as number) * s;
      im[i] = (im[i] as number) * s;
    }
  }

  /** Unscaled transform with e^{sign·2πi jk/n}. */
  private transform(re: Float64Array, im: Float64Array, sign: number): void {
    const n = this.n;
    const swaps = this.swaps;
    for (let p = 0; p < swaps.length; p += 2) {
      const i = swaps[p] as number;
      const j = swaps[p + 1] as number;
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
    // First stage (butterflies of length 2) has unit twiddles.
    for (let i = 0; i + 1 < n; i += 2) {
      const ar = re[i] as number;
      const ai = im[i] as number;
      const br = re[i + 1] as number;
      const bi = im[i + 1] as number;
      re[i] = ar + br;
      im[i] = ai + bi;
      re[i + 1] = ar - br;
      im[i + 1] = ai - bi;
    }
    const cosT = this.cosTable;
    const sinT = this.sinTable;
    for (let len = 4; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let j = 0, t = 0; j < half; j++, t += step) {
          const wr = cosT[t] as number;
          const wi = sign * (sinT[t] as number);
          const a = start + j;
          const b = a + half;
          const xr = re[b] as number;
          const xi = im[b] as number;
          const pr = xr * wr - xi * wi;
          const pi = xr * wi + xi * wr;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[a] = ar + pr;
          im[a] = ai + pi;
          re[b] = ar - pr;
          im[b] = ai - pi;
        }
      }
    }
  }
}

/** Real-input transform of even power-of-two length n → bins 0..n/2 (one-sided). */
export class RealFft {
  readonly n: number;
  /** Number of one-sided bins, n/2 + 1. */
  readonly bins: number;
  private readonly half: ComplexFft;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;

  constructor(n: number) {
    if (!isPowerOfTwo(n) || n < 2) {
      throw new InvalidOptionError('n', `Real FFT length must be a power of two ≥ 2, got ${n}.`);
    }
    this.n = n;
    this.bins = n / 2 + 1;
    const h = n / 2;
    this.half = new ComplexFft(h);
    this.zr = new Float64Array(h);
    this.zi = new Float64Array(h);
    this.wr = new Float64Array(h + 1);
    this.wi = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) {
      this.wr[k] = Math.cos((2 * Math.PI * k) / n);
      this.wi[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  /** X = FFT(x) for bins 0..n/2. `x` has length ≥ n (only the first n samples are read). */
  forward(x: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    const h = this.n / 2;
    const zr = this.zr;
    const zi = this.zi;
    for (let k = 0; k < h; k++) {
      zr[k] = x[2 * k] as number;
      zi[k] = x[2 * k + 1] as number;
    }
    this.half.forward(zr, zi);
    // E[k] = (Z[k] + conj Z[h-k]) / 2, O[k] = (Z[k] - conj Z[h-k]) / (2i), X[k] = E[k] + W^k O[k].
    for (let k = 0; k <= h; k++) {
      const a = k === h ? 0 : k;
      const b = k === 0 ? 0 : h - k;
      const zar = zr[a] as number;
      const zai = zi[a] as number;
      const zbr = zr[b] as number;
      const zbi = -(zi[b] as number);
      const er = 0.5 * (zar + zbr);
      const ei = 0.5 * (zai + zbi);
      const or = 0.5 * (zai - zbi);
      const oi = -0.5 * (zar - zbr);
      const wr = this.wr[k] as number;
      const wi = this.wi[k] as number;
      outRe[k] = er + wr * or - wi * oi;
      outIm[k] = ei + wr * oi + wi * or;
    }
  }

  /** x = IFFT(X) (scaled by 1/n) from one-sided bins 0..n/2 of a real signal. */
  inverse(inRe: Float64Array, inIm: Float64Array, x: Float64Array): void {
    const h = this.n / 2;
    const zr = this.zr;
    const zi = this.zi;
    for (let k = 0; k < h; k++) {
      const xar = inRe[k] as number;
      const xai = inIm[k] as number;
      const xbr = inRe[h - k] as number;
      const xbi = -(inIm[h - k] as number);
      const er = 0.5 * (xar + xbr);
      const ei = 0.5 * (xai + xbi);
      // O[k] = (X[k] - conj X[h-k]) / 2 · conj(W^k)
      const dr = 0.5 * (xar - xbr);
      const di = 0.5 * (xai - xbi);
      const wr = this.wr[k] as number;
      const wi = -(this.wi[k] as number);
      const or = dr * wr - di * wi;
      const oi = dr * wi + di * wr;
      // Z[k] = E[k] + i O[k]
      zr[k] = er - oi;
      zi[k] = ei + or;
    }
    this.half.inverse(zr, zi);
    for (let k = 0; k < h; k++) {
      x[2 * k] = zr[k] as number;
      x[2 * k + 1] = zi[k] as number;
    }
  }
}

/** Complex transform of any length n through Bluestein's chirp-z convolution. */
export class BluesteinFft {
  readonly n: number;
  private readonly m: number;
  private readonly fft: ComplexFft;
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  private readonly kernelRe: Float64Array;
  private readonly kernelIm: Float64Array;
  private readonly ar: Float64Array;
  private readonly ai: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError('n', `FFT length must be ≥ 1, got ${n}.`);
    this.n = n;
    this.m = nextPowerOfTwo(2 * n - 1);
    this.fft = new ComplexFft(this.m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // k² mod 2n keeps the angle small and exact for large k.
      const angle = (Math.PI * ((k * k) % (2 * n))) / n;
      this.chirpRe[k] = Math.cos(angle);
      this.chirpIm[k] = -Math.sin(angle);
    }
    const m = this.m;
    this.kernelRe = new Float64Array(m);
    this.kernelIm = new Float64Array(m);
    for (let k = 0; k < n; k++) {
      const cr = this.chirpRe[k] as number;
      const ci = -(this.chirpIm[k] as number);
      this.kernelRe[k] = cr;
      this.kernelIm[k] = ci;
      if (k > 0) {
        this.kernelRe[m - k] = cr;
        this.kernelIm[m - k] = ci;
      }
    }
    this.fft.forward(this.kernelRe, this.kernelIm);
    this.ar = new Float64Array(m);
    this.ai = new Float64Array(m);
  }

  /** In-place forward transform of length n. */
  forward(re: Float64Array, im: Float64Array): void {
    const { n, m, ar, ai } = this;
    ar.fill(0);
    ai.fill(0);
    for (let k = 0; k < n; k++) {
      const xr = re[k] as number;
      const xi = im[k] as number;
      const cr = this.chirpRe[k] as number;
      const ci = this.chirpIm[k] as number;
      ar[k] = xr * cr - xi * ci;
      ai[k] = xr * ci + xi * cr;
    }
    this.fft.forward(ar, ai);
    for (let k = 0; k < m; k++) {
      const xr = ar[k] as number;
      const xi = ai[k] as number;
      const kr = this.kernelRe[k] as number;
      const ki = this.kernelIm[k] as number;
      ar[k] = xr * kr - xi * ki;
      ai[k] = xr * ki + xi * kr;
    }
    this.fft.inverse(ar, ai);
    for (let k = 0; k < n; k++) {
      const xr = ar[k] as number;
      const xi = ai[k] as number;
      const cr = this.chirpRe[k] as number;
      const ci = this.chirpIm[k] as number;
      re[k] = xr * cr - xi * ci;
      im[k] = xr * ci + xi * cr;
    }
  }

  /** In-place inverse transform of length n, scaled by 1/n (via conjugation symmetry). */
  inverse(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    for (let k = 0; k < n; k++) im[k] = -(im[k] as number);
    this.forward(re, im);
    const s = 1 / n;
    for (let k = 0; k < n; k++) {
      re[k] = (re[k] as number) * s;
      im[k] = -(im[k] as number) * s;
    }
  }
}
