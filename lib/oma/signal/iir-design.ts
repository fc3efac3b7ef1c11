import { InvalidOptionError } from '../errors.js';
import {
  type Complex,
  cabs,
  cadd,
  cdiv,
  cmul,
  complex,
  cprod,
  cscale,
  csqrt,
  csub,
} from '../linalg/complex.js';

/**
 * Digital IIR filter design as cascaded second-order sections (SOS), the numerically safe form
 * for high orders and low cut-offs.
 *
 * Pipeline (Oppenheim & Schafer, Discrete-Time Signal Processing, §7.1–7.3; Parks & Burrus,
 * Digital Filter Design, ch. 7): analog low-pass prototype (zeros, poles, gain) → frequency
 * transformation (low-pass, high-pass or band-pass) at the pre-warped edge frequencies
 * ω_a = 2 fs tan(π f / fs) → bilinear transform z = (2fs + s)/(2fs - s) → pairing of poles and
 * zeros into sections. The conventions (prototype gain, transformations) follow those of
 * scipy.signal so that designs can be checked against it.
 */

/** One second-order section: b0 + b1 z⁻¹ + b2 z⁻² over 1 + a1 z⁻¹ + a2 z⁻². */
export interface Section {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

export type FilterType = 'lowpass' | 'highpass' | 'bandpass';

export interface FilterSpec {
  readonly type: FilterType;
  /** Cut-off in Hz; for a band-pass [low, high]. */
  readonly cutoff: number | readonly [number, number];
  /** Order of the low-pass prototype (a band-pass has twice as many poles). */
  readonly order: number;
  readonly fs: number;
}

interface Zpk {
  readonly z: Complex[];
  readonly p: Complex[];
  readonly k: number;
}

/** Butterworth prototype: poles on the unit circle in the left half plane, unit DC gain. */
function butterworthPrototype(order: number): Zpk {
  const p: Complex[] = [];
  for (let m = -order + 1; m < order; m += 2) {
    const angle = (Math.PI * m) / (2 * order);
    p.push(complex(-Math.cos(angle), -Math.sin(angle)));
  }
  return { z: [], p, k: 1 };
}

/** Chebyshev type I prototype with `rippleDb` pass-band ripple (pass-band edge at ω = 1). */
function chebyshev1Prototype(order: number, rippleDb: number): Zpk {
  const eps = Math.sqrt(10 ** (0.1 * rippleDb) - 1);
  const mu = Math.asinh(1 / eps) / order;
  const p: Complex[] = [];
  for (let m = -order + 1; m < order; m += 2) {
    const theta = (Math.PI * m) / (2 * order);
    // p = -sinh(μ + iθ)
    p.push(complex(-Math.sinh(mu) * Math.cos(theta), -Math.cosh(mu) * Math.sin(theta)));
  }
  let k = cprod(p.map((x) => cscale(x, -1))).re;
  if (order % 2 === 0) k /= Math.sqrt(1 + eps * eps);
  return { z: [], p, k };
}

function lowpassToLowpass({ z, p, k }: Zpk, wo: number): Zpk {
  const degree = p.length - z.length;
  return { z: z.map((x) => cscale(x, wo)), p: p.map((x) => cscale(x, wo)), k: k * wo ** degree };
}

function lowpassToHighpass({ z, p, k }: Zpk, wo: number): Zpk {
  const degree = p.length - z.length;
  const w = complex(wo);
  const zh = z.map((x) => cdiv(w, x));
  for (let i = 0; i < degree; i++) zh.push(complex(0));
  const ph = p.map((x) => cdiv(w, x));
  const gain = cdiv(cprod(z.map((x) => cscale(x, -1))), cprod(p.map((x) => cscale(x, -1)))).re;
  return { z: zh, p: ph, k: k * gain };
}

function lowpassToBandpass({ z, p, k }: Zpk, wo: number, bw: number): Zpk {
  const degree = p.length - z.length;
  const wo2 = complex(wo * wo);
  const transform = (x: Complex): Complex[] => {
    const s = cscale(x, bw / 2);
    const root = csqrt(csub(cmul(s, s), wo2));
    return [cadd(s, root), csub(s, root)];
  };
  const zb = z.flatMap(transform);
  for (let i = 0; i < degree; i++) zb.push(complex(0));
  return { z: zb, p: p.flatMap(transform), k: k * bw ** degree };
}

function bilinear({ z, p, k }: Zpk, fs: number): Zpk {
  const fs2 = complex(2 * fs);
  const degree = p.length - z.length;
  const zd = z.map((x) => cdiv(cadd(fs2, x), csub(fs2, x)));
  for (let i = 0; i < degree; i++) zd.push(complex(-1));
  const pd = p.map((x) => cdiv(cadd(fs2, x), csub(fs2, x)));
  const gain = cdiv(cprod(z.map((x) => csub(fs2, x))), cprod(p.map((x) => csub(fs2, x)))).re;
  return { z: zd, p: pd, k: k * gain };
}

/**
 * Groups poles into conjugate pairs (real poles two by two), ordered so the pair closest to the
 * unit circle comes last, and gives each pair the two nearest remaining zeros; the overall gain
 * goes into the first section.
 */
function zpkToSos({ z, p, k }: Zpk): Section[] {
  const tol = 1e-9;
  const complexPoles = p.filter((x) => x.im > tol);
  const realPoles = p.filter((x) => Math.abs(x.im) <= tol).map((x) => x.re);
  realPoles.sort((a, b) => Math.abs(a) - Math.abs(b));
  const groups: Complex[][] = complexPoles.map((x) => [x, complex(x.re, -x.im)]);
  for (let i = 0; i < realPoles.length; i += 2) {
    const pair = [complex(realPoles[i] as number)];
    if (i + 1 < realPoles.length) pair.push(complex(realPoles[i + 1] as number));
    groups.push(pair);
  }
  groups.sort((a, b) => cabs(a[0] as Complex) - cabs(b[0] as Complex));
  const zeros = [...z];
  const sections: Section[] = [];
  for (const poles of groups) {
    const chosen: Complex[] = [];
    const anchor = poles[0] as Complex;
    for (let c = 0; c < poles.length && zeros.length > 0; c++) {
      let best = 0;
      for (let i = 1; i < zeros.length; i++) {
        if (cabs(csub(zeros[i] as Complex, anchor)) < cabs(csub(zeros[best] as Complex, anchor))) best = i;
      }
      const [taken] = zeros.splice(best, 1);
      if (taken === undefined) break;
      chosen.push(taken);
      if (Math.abs(taken.im) > tol) {
        // Take the conjugate partner along with a complex zero.
        const partner = zeros.findIndex((x) => cabs(csub(x, complex(taken.re, -taken.im))) < 1e-6);
        if (partner >= 0) chosen.push(...zeros.splice(partner, 1));
        c++;
      }
    }
    sections.push(sectionFromRoots(chosen, poles));
  }
  if (sections.length === 0) return [{ b0: k, b1: 0, b2: 0, a1: 0, a2: 0 }];
  const first = sections[0] as Section;
  sections[0] = { ...first, b0: first.b0 * k, b1: first.b1 * k, b2: first.b2 * k };
  return sections;
}

/** Real coefficients of Π(1 - r z⁻¹) for up to two roots (conjugate pairs give real results). */
function polynomial(roots: readonly Complex[]): [number, number, number] {
  if (roots.length === 0) return [1, 0, 0];
  const r0 = roots[0] as Complex;
  if (roots.length === 1) return [1, -r0.re, 0];
  const r1 = roots[1] as Complex;
  const sum = cadd(r0, r1);
  const prod = cmul(r0, r1);
  return [1, -sum.re, prod.re];
}

function sectionFromRoots(zeros: readonly Complex[], poles: readonly Complex[]): Section {
  const [b0, b1, b2] = polynomial(zeros);
  const [, a1, a2] = polynomial(poles);
  return { b0, b1, b2, a1, a2 };
}

function validate(spec: FilterSpec): [number, number] {
  const { order, fs } = spec;
  if (!Number.isInteger(order) || order < 1 || order > 20) {
    throw new InvalidOptionError('order', `filter order must be an integer in [1, 20], got ${order}`);
  }
  if (!(fs > 0)) throw new InvalidOptionError('fs', `sampling rate must be positive, got ${fs}`);
  const nyquist = fs / 2;
  const edges: [number, number] =
    typeof spec.cutoff === 'number' ? [spec.cutoff, spec.cutoff] : [spec.cutoff[0], spec.cutoff[1]];
  for (const f of edges) {
    if (!(f > 0 && f < nyquist)) {
      throw new InvalidOptionError(
        'cutoff',
        `cut-off ${f} Hz must lie strictly between 0 and Nyquist (${nyquist} Hz)`,
      );
    }
  }
  if (spec.type === 'bandpass' && !(edges[0] < edges[1])) {
    throw new InvalidOptionError(
      'cutoff',
      `band-pass edges must be increasing, got [${edges[0]}, ${edges[1]}]`,
    );
  }
  return edges;
}

function design(prototype: Zpk, spec: FilterSpec): Section[] {
  const [f1, f2] = validate(spec);
  const { fs } = spec;
  const warp = (f: number): number => 2 * fs * Math.tan((Math.PI * f) / fs);
  let analog: Zpk;
  if (spec.type === 'lowpass') analog = lowpassToLowpass(prototype, warp(f1));
  else if (spec.type === 'highpass') analog = lowpassToHighpass(prototype, warp(f1));
  else {
    const w1 = warp(f1);
    const w2 = warp(f2);
    analog = lowpassToBandpass(prototype, Math.sqrt(w1 * w2), w2 - w1);
  }
  return zpkToSos(bilinear(analog, fs));
}

/** Butterworth filter (maximally flat; −3 dB at the cut-off) as second-order sections. */
export function butterworth(spec: FilterSpec): Section[] {
  return design(butterworthPrototype(spec.order), spec);
}

/** Chebyshev type I filter (equiripple pass band of `rippleDb`, edge at the cut-off) as sections. */
export function chebyshev1(spec: FilterSpec, rippleDb: number): Section[] {
  if (!(rippleDb > 0 && rippleDb < 10)) {
    throw new InvalidOptionError('rippleDb', `pass-band ripple must be in (0, 10) dB, got ${rippleDb}`);
  }
  return design(chebyshev1Prototype(spec.order, rippleDb), spec);
}

/** |H(e^{iω})| of a section cascade at frequency f (Hz). */
export function magnitudeResponse(sections: readonly Section[], f: number, fs: number): number {
  const w = (2 * Math.PI * f) / fs;
  const z1 = complex(Math.cos(w), -Math.sin(w));
  const z2 = cmul(z1, z1);
  let h = complex(1);
  for (const s of sections) {
    const num = cadd(cadd(complex(s.b0), cscale(z1, s.b1)), cscale(z2, s.b2));
    const den = cadd(cadd(complex(1), cscale(z1, s.a1)), cscale(z2, s.a2));
    h = cmul(h, cdiv(num, den));
  }
  return cabs(h);
}
