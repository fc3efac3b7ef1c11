/**
 * Seeded pseudo-random numbers so that synthetic records and randomized algorithms are
 * reproducible: xoshiro128** (Blackman & Vigna 2018, "Scrambled linear pseudorandom number
 * generators") seeded through SplitMix32, and normal deviates by Marsaglia's polar method
 * (Marsaglia & Bray 1964), which avoids trigonometric calls.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    // SplitMix32 expands one seed into four well-mixed, not-all-zero state words.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Standard normal deviate. */
  nextGaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      // Uniform in (-1, 1) from 32 bits is ample resolution for a normal deviate.
      const u = (this.nextUint32() + 0.5) / 2147483648 - 1;
      const v = (this.nextUint32() + 0.5) / 2147483648 - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.spare = v * f;
      this.hasSpare = true;
      return u * f;
    }
  }

  /** Fills `out[offset .. offset+count)` with normal deviates times `scale`. */
  fillGaussian(out: Float64Array, scale = 1, offset = 0, count = out.length - offset): void {
    for (let i = offset; i < offset + count; i++) out[i] = scale * this.nextGaussian();
  }
}
