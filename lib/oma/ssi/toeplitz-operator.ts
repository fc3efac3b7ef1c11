import { ComplexFft, nextPowerOfTwo } from '../signal/fft.js';

/**
 * Products of a block Toeplitz matrix of correlations (toeplitz.ts: block (a, b) = R_{br+a−b},
 * lags 1..2br−1, br·l × br·r) with complex vectors, by FFT over the block index — the uncertainty
 * propagation needs two such products per block of the record and mode (uncertainty.ts), and the
 * dense matrix would cost br²·l·r per product.
 *
 * Each entry sequence s_ij[k] = R_k[i][j] (k = 1..2br−1, s_ij[0] = 0) is transformed once with
 * F ≥ 2br points; then
 *   (T w)[(a, i)]  = Σ_j Σ_b s_ij[br + a − b] w_j[b]  = Σ_j (s_ij ⊛ w_j)[br + a],
 *   (Tᵀ x)[(b, j)] = Σ_i Σ_a s_ij[br + a − b] x_i[a] = Σ_i (s_ij ⊛ x̃_i)[2br − 1 − b], x̃_i[a] = x_i[br − 1 − a].
 * Every term of the circular convolutions at those output indices has its lag in [1, 2br − 1],
 * so with F ≥ 2br nothing wraps around: the products are exact.
 */
export class BlockToeplitzOperator {
  readonly size: number;
  private readonly fft: ComplexFft;
  private readonly sRe: Float64Array;
  private readonly sIm: Float64Array;
  private readonly inRe: Float64Array;
  private readonly inIm: Float64Array;
  private readonly accRe: Float64Array;
  private readonly accIm: Float64Array;

  constructor(
    readonly l: number,
    readonly r: number,
    readonly br: number,
  ) {
    this.size = nextPowerOfTwo(2 * br);
    const f = this.size;
    this.fft = new ComplexFft(f);
    this.sRe = new Float64Array(l * r * f);
    this.sIm = new Float64Array(l * r * f);
    this.inRe = new Float64Array(Math.max(l, r) * f);
    this.inIm = new Float64Array(Math.max(l, r) * f);
    this.accRe = new Float64Array(f);
    this.accIm = new Float64Array(f);
  }

  /** Takes the matrix's correlations: R_k[i][j] at data[(k·l + i)·r + j], k = 0..2br−1 (at least). */
  load(data: Float64Array): void {
    const { l, r, br, size: f } = this;
    const re = this.accRe;
    const im = this.accIm;
    for (let i = 0; i < l; i++) {
      for (let j = 0; j < r; j++) {
        re.fill(0);
        im.fill(0);
        for (let k = 1; k < 2 * br; k++) re[k] = data[(k * l + i) * r + j] as number;
        this.fft.forward(re, im);
        const at = (i * r + j) * f;
        this.sRe.set(re, at);
        this.sIm.set(im, at);
      }
    }
  }

  /** out (br·l) = T w for w of length br·r; real and imaginary parts separately. */
  times(wRe: Float64Array, wIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    const { l, r, br } = this;
    this.transformInputs(r, (j, b) => b * r + j, wRe, wIm);
    this.combine(
      l,
      r,
      (i, j) => i * r + j,
      (i, a) => a * l + i,
      br,
      outRe,
      outIm,
    );
  }

  /** out (br·r) = Tᵀ x for x of length br·l. */
  transposeTimes(xRe: Float64Array, xIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    const { l, r, br } = this;
    this.transformInputs(l, (i, a) => (br - 1 - a) * l + i, xRe, xIm);
    this.combine(
      r,
      l,
      (j, i) => i * r + j,
      (j, b) => (br - 1 - b) * r + j,
      br,
      outRe,
      outIm,
    );
  }

  /** FFT of each input channel's block sequence (at = index of element (channel, block)). */
  private transformInputs(
    channels: number,
    at: (channel: number, block: number) => number,
    re: Float64Array,
    im: Float64Array,
  ): void {
    const f = this.size;
    this.inRe.fill(0);
    this.inIm.fill(0);
    for (let c = 0; c < channels; c++) {
      const xr = this.inRe.subarray(c * f, (c + 1) * f);
      const xi = this.inIm.subarray(c * f, (c + 1) * f);
      for (let b = 0; b < this.br; b++) {
        xr[b] = re[at(c, b)] as number;
        xi[b] = im[at(c, b)] as number;
      }
      this.fft.forward(xr, xi);
    }
  }

  /**
   * For each output channel o: Σ_c S_{pair(o,c)} · X_c, inverse FFT, and the samples br..2br−1
   * written to `place(o, index − br)`.
   */
  private combine(
    outputs: number,
    inputs: number,
    pair: (output: number, input: number) => number,
    place: (output: number, index: number) => number,
    br: number,
    outRe: Float64Array,
    outIm: Float64Array,
  ): void {
    const f = this.size;
    const { sRe, sIm, inRe, inIm, accRe, accIm } = this;
    for (let o = 0; o < outputs; o++) {
      accRe.fill(0);
      accIm.fill(0);
      for (let c = 0; c < inputs; c++) {
        const s = pair(o, c) * f;
        const x = c * f;
        for (let k = 0; k < f; k++) {
          const ar = sRe[s + k] as number;
          const ai = sIm[s + k] as number;
          const br2 = inRe[x + k] as number;
          const bi = inIm[x + k] as number;
          accRe[k] = (accRe[k] as number) + ar * br2 - ai * bi;
          accIm[k] = (accIm[k] as number) + ar * bi + ai * br2;
        }
      }
      this.fft.inverse(accRe, accIm);
      for (let a = 0; a < br; a++) {
        const idx = place(o, a);
        outRe[idx] = accRe[br + a] as number;
        outIm[idx] = accIm[br + a] as number;
      }
    }
  }
}
