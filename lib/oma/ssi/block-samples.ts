import { shapeStatistics } from '../modal/shape-statistics.js';
import type { ModalUncertainty } from '../modal/types.js';
import { type Cvec, cdot, cvec, type ModeSensitivity } from './mode-sensitivity.js';
import type { BlockToeplitzOperator } from './toeplitz-operator.js';

/**
 * The per-block part of SSI's uncertainty propagation (uncertainty.ts, steps 1–5): the n_b
 * first-order changes of one mode's f, ζ and normalised shape, one per block's ΔT, and their
 * statistics.
 */
export class BlockSamples {
  private readonly df: Float64Array;
  private readonly dz: Float64Array;
  /** Real part of Δ(φ/φ_m), block-major (g·l + c). */
  private readonly dshape: Float64Array;
  private readonly ref: number;
  /** t = ΔT w (its projection β is formed only where needed), c = U_nᵀ t, d = U↑ᵀ t↓, e = U↑ᵀ t↑. */
  private readonly beta: Cvec;
  private readonly cRe: Float64Array;
  private readonly cIm: Float64Array;
  private readonly dRe: Float64Array;
  private readonly dIm: Float64Array;
  private readonly eRe: Float64Array;
  private readonly eIm: Float64Array;
  private readonly tq: Cvec;
  private readonly alpha: Cvec;
  private readonly rhs: Cvec;

  constructor(
    private readonly m: ModeSensitivity,
    private readonly nb: number,
  ) {
    this.df = new Float64Array(nb);
    this.dz = new Float64Array(nb);
    this.dshape = new Float64Array(nb * m.l);
    let ref = 0;
    for (let c = 1; c < m.l; c++) {
      if (
        Math.hypot(m.phi.re[c] as number, m.phi.im[c] as number) >
        Math.hypot(m.phi.re[ref] as number, m.phi.im[ref] as number)
      )
        ref = c;
    }
    this.ref = ref;
    this.beta = cvec(m.p);
    this.cRe = new Float64Array(m.n);
    this.cIm = new Float64Array(m.n);
    this.dRe = new Float64Array(m.n);
    this.dIm = new Float64Array(m.n);
    this.eRe = new Float64Array(m.n);
    this.eIm = new Float64Array(m.n);
    this.tq = cvec(m.q);
    this.alpha = cvec(m.n);
    this.rhs = cvec(m.n + 1);
  }

  /** Block g's first-order changes, with ΔT loaded in `op`. */
  add(g: number, op: BlockToeplitzOperator): void {
    const { m, beta, tq, alpha, rhs } = this;
    const { n, p, l, model } = m;
    const { u, v, sigma } = model.svd;
    // 1. t = ΔT w and, in one pass over U_n, e = U↑ᵀ t↑, c = U_nᵀ t = e + U_lastᵀ t_last and
    //    d = U↑ᵀ t↓. With β = (I − P)t = t − U c:
    //    U↑ᵀ(β↓ − μβ↑) = d − μ e − (G↓ − μ G↑) c, G↓ = U↑ᵀU↓ and G↑ = U↑ᵀU↑ precomputed — so β
    //    itself is needed only in its first block row.
    op.times(m.w.re, m.w.im, beta.re, beta.im);
    const { cRe, cIm, dRe, dIm, eRe, eIm } = this;
    for (let k = 0; k < n; k++) {
      let cr = 0;
      let ci = 0;
      let dr = 0;
      let di = 0;
      const col = k * p;
      for (let i = 0; i < p - l; i++) {
        const uu = u[col + i] as number;
        cr += uu * (beta.re[i] as number);
        ci += uu * (beta.im[i] as number);
        dr += uu * (beta.re[i + l] as number);
        di += uu * (beta.im[i + l] as number);
      }
      let lr = 0;
      let li = 0;
      for (let i = p - l; i < p; i++) {
        const uu = u[col + i] as number;
        lr += uu * (beta.re[i] as number);
        li += uu * (beta.im[i] as number);
      }
      eRe[k] = cr;
      eIm[k] = ci;
      cRe[k] = cr + lr;
      cIm[k] = ci + li;
      dRe[k] = dr;
      dIm[k] = di;
    }
    // α = S^{-½} V_nᵀ ΔTᵀ x'.
    op.transposeTimes(m.x.re, m.x.im, tq.re, tq.im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      const col = k * m.q;
      for (let i = 0; i < m.q; i++) {
        const vv = v[col + i] as number;
        sr += vv * (tq.re[i] as number);
        si += vv * (tq.im[i] as number);
      }
      const s = 1 / Math.sqrt(sigma[k] as number);
      alpha.re[k] = sr * s;
      alpha.im[k] = si * s;
    }
    // 2. y = α + S^½ U↑ᵀ(β↓ − μβ↑); then d = ΔAψ = R_n⁻¹ R_n⁻ᵀ y.
    const [mr, mi] = m.mu;
    for (let k = 0; k < n; k++) {
      const er = eRe[k] as number;
      const ei = eIm[k] as number;
      let sr = (dRe[k] as number) - (mr * er - mi * ei);
      let si = (dIm[k] as number) - (mr * ei + mi * er);
      for (let j = 0; j < n; j++) {
        const gd = m.gDown[k * n + j] as number;
        const gu = m.gUp[k * n + j] as number;
        const cr = cRe[j] as number;
        const ci = cIm[j] as number;
        // − (G↓ − μ G↑) c
        sr -= gd * cr - gu * (mr * cr - mi * ci);
        si -= gd * ci - gu * (mr * ci + mi * cr);
      }
      const s = Math.sqrt(sigma[k] as number);
      rhs.re[k] = (alpha.re[k] as number) + s * sr;
      rhs.im[k] = (alpha.im[k] as number) + s * si;
    }
    solveNormal(model.shift.r, model.shift.nMax, n, rhs);
    // 3. Δμ = a·d; Δψ from the bordered system with right-hand side −(d − Δμψ).
    const [dmr, dmi] = cdot(m.a, rhs);
    for (let k = 0; k < n; k++) {
      const pr = m.psi.re[k] as number;
      const pi = m.psi.im[k] as number;
      rhs.re[k] = -((rhs.re[k] as number) - (dmr * pr - dmi * pi));
      rhs.im[k] = -((rhs.im[k] as number) - (dmr * pi + dmi * pr));
    }
    rhs.re[n] = 0;
    rhs.im[n] = 0;
    m.bordered.solve(rhs.re, rhs.im);
    // 4. Δλ = fs Δμ/μ → Δf, Δζ.
    const muAbs2 = mr * mr + mi * mi;
    const dlr = (m.fs * (dmr * mr + dmi * mi)) / muAbs2;
    const dli = (m.fs * (dmi * mr - dmr * mi)) / muAbs2;
    const [lr, li] = m.lambda;
    const lAbs = Math.hypot(lr, li);
    const proj = lr * dlr + li * dli; // Re(λ̄ Δλ)
    this.df[g] = proj / (2 * Math.PI * lAbs);
    this.dz[g] = -dlr / lAbs + (lr * proj) / lAbs ** 3;
    // 5. Δφ = β[0:l] + C Δψ, C = U[0:l, :n] S^½; then Δ(φ/φ_m).
    const ref = this.ref;
    const dphi = cvec(l);
    for (let c = 0; c < l; c++) {
      let sr = beta.re[c] as number;
      let si = beta.im[c] as number;
      for (let k = 0; k < n; k++) {
        const uc = u[k * p + c] as number;
        const cc = uc * Math.sqrt(sigma[k] as number);
        sr += cc * (rhs.re[k] as number) - uc * (cRe[k] as number);
        si += cc * (rhs.im[k] as number) - uc * (cIm[k] as number);
      }
      dphi.re[c] = sr;
      dphi.im[c] = si;
    }
    const fr = m.phi.re[ref] as number;
    const fi = m.phi.im[ref] as number;
    const f2 = fr * fr + fi * fi;
    for (let c = 0; c < l; c++) {
      // φ_c/φ_m and (Δφ_c − (φ_c/φ_m) Δφ_m)/φ_m, real part.
      const qr = ((m.phi.re[c] as number) * fr + (m.phi.im[c] as number) * fi) / f2;
      const qi = ((m.phi.im[c] as number) * fr - (m.phi.re[c] as number) * fi) / f2;
      const er = (dphi.re[c] as number) - (qr * (dphi.re[ref] as number) - qi * (dphi.im[ref] as number));
      const ei = (dphi.im[c] as number) - (qr * (dphi.im[ref] as number) + qi * (dphi.re[ref] as number));
      this.dshape[g * l + c] = (er * fr + ei * fi) / f2;
    }
  }

  changes(): { frequency: Float64Array; damping: Float64Array } {
    return { frequency: this.df, damping: this.dz };
  }

  result(): ModalUncertainty {
    const { nb, m, df, dz, dshape } = this;
    let sf = 0;
    let sz = 0;
    for (let g = 0; g < nb; g++) {
      sf += (df[g] as number) ** 2;
      sz += (dz[g] as number) ** 2;
    }
    // The real unit-max shape: φ/φ_m (real part; φ_m the largest component).
    const fr = m.phi.re[this.ref] as number;
    const fi = m.phi.im[this.ref] as number;
    const f2 = fr * fr + fi * fi;
    const shape = Float64Array.from(
      { length: m.l },
      (_, c) => ((m.phi.re[c] as number) * fr + (m.phi.im[c] as number) * fi) / f2,
    );
    return {
      frequencyStd: Math.sqrt(sf),
      dampingStd: Math.sqrt(sz),
      ...shapeStatistics(shape, dshape, nb),
      method: 'perturbation',
      blocks: nb,
    };
  }
}

/** d ← (RᵀR)⁻¹ d for the leading n×n block of the upper-triangular R (row-major, stride nMax). */
function solveNormal(r: Float64Array, nMax: number, n: number, d: Cvec): void {
  for (const x of [d.re, d.im]) {
    for (let i = 0; i < n; i++) {
      let s = x[i] as number;
      for (let k = 0; k < i; k++) s -= (r[k * nMax + i] as number) * (x[k] as number);
      x[i] = s / (r[i * nMax + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i] as number;
      for (let k = i + 1; k < n; k++) s -= (r[i * nMax + k] as number) * (x[k] as number);
      x[i] = s / (r[i * nMax + i] as number);
    }
  }
}
