import type { FddSpectrum } from './types.js';

/**
 * The spectral density along one mode shape φ (Frequency-Spatial Domain Decomposition, Zhang,
 * Wang & Tamura 2010, MSSP 24): p_φ(f) = φᴴ G(f) φ / φᴴφ, here restricted to the leading singular
 * subspace kept per line, p_φ(f) = Σ_i s_i(f) |⟨u_i(f), φ⟩|² / (‖u_i‖²‖φ‖²). Near a mode it is that
 * mode's SDOF auto-spectrum; another mode contributes only as much as its shape overlaps φ at the
 * sensors. Where two close modes' singular values cross, the singular vectors mix but their span
 * does not, so p_φ keeps following the mode through the crossing.
 *
 * `span` = Σ_i MAC(u_i, φ), the share of φ inside the kept subspace (1 when the subspace is the
 * whole space, i.e. one or two channels).
 */
export class ShapeProjection {
  /** Σ_i MAC(u_i, φ) at that line. */
  span = 0;
  /** φ (a copy, so it may come from anywhere). */
  readonly refRe: Float64Array;
  readonly refIm: Float64Array;
  private refNorm = 0;
  private readonly l: number;
  private readonly vc: number;

  constructor(private readonly spectrum: FddSpectrum) {
    this.l = spectrum.csd.channels;
    this.vc = spectrum.vectorCount;
    this.refRe = new Float64Array(this.l);
    this.refIm = new Float64Array(this.l);
  }

  /** φ := singular vector `vector` (0-based) at `line`. */
  setReference(line: number, vector: number): void {
    const at = (line * this.vc + vector) * this.l;
    this.setReferenceVector(this.spectrum.vectorRe, this.spectrum.vectorIm, at);
  }

  /** φ := the l components of (re, im) from `offset`. */
  setReferenceVector(re: Float64Array, im: Float64Array, offset = 0): void {
    let n = 0;
    for (let c = 0; c < this.l; c++) {
      const x = re[offset + c] as number;
      const y = im[offset + c] as number;
      this.refRe[c] = x;
      this.refIm[c] = y;
      n += x * x + y * y;
    }
    this.refNorm = n;
  }

  /** p_φ at line k; sets `span` there. */
  at(k: number): number {
    const { l, vc, refRe, refIm } = this;
    const { vectorRe: re, vectorIm: im, values } = this.spectrum;
    let density = 0;
    let span = 0;
    if (this.refNorm > 0) {
      for (let i = 0; i < vc; i++) {
        const at = (k * vc + i) * l;
        let dr = 0;
        let di = 0;
        let uu = 0;
        for (let c = 0; c < l; c++) {
          const xr = refRe[c] as number;
          const xi = refIm[c] as number;
          const yr = re[at + c] as number;
          const yi = im[at + c] as number;
          dr += xr * yr + xi * yi;
          di += xr * yi - xi * yr;
          uu += yr * yr + yi * yi;
        }
        if (uu === 0) continue;
        const m = (dr * dr + di * di) / (uu * this.refNorm);
        span += m;
        density += m * ((values[i] as Float64Array)[k] as number);
      }
    }
    this.span = span;
    return density;
  }
}
