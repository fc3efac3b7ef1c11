import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { HermitianEigenSolver } from '../linalg/hermitian-eig.js';
import { macArrays } from '../modal/mac.js';
import { realShape } from '../modal/modal.js';
import { shapeStatistics } from '../modal/shape-statistics.js';
import type { ModalUncertainty, Mode } from '../modal/types.js';
import { DEFAULT_OVERLAP } from '../signal/defaults.js';
import { AnyRealFft } from '../signal/welch.js';
import { DEFAULT_BELL_MAC_THRESHOLD, halfPowerBandwidth, sdofBell } from './bell.js';
import { BellFitter, type EfddOptions } from './efdd.js';
import { shapeAt } from './spectrum.js';
import type { FddSpectrum, SpectralPeak } from './types.js';

/**
 * Statistical uncertainty of FDD and EFDD modes by the delete-a-group jackknife over the Welch
 * segments (Quenouille 1956; Tukey 1958; Efron & Stein 1981, "The jackknife estimate of
 * variance", Ann. Statist. 9). The K segments are cut into n_g groups of consecutive segments;
 * replicate g is the whole estimation redone on the spectrum averaged without group g, and
 * σ² = (n_g − 1)/n_g · Σ_g (θ_(g) − θ̄)².
 *
 * Each replicate's SDOF bell is the record's bell plus the change of the density along the
 * peak's shape φ: b_(g) = b + φᴴ(G_(g) − G)φ, with φᴴ X Xᴴ φ = |φᴴX|² taken per segment in a
 * second pass over the record (one FFT per channel and segment, nothing stored per line but the
 * bells' lines). The bell is Σ_{i≤2} s_i |u_iᴴφ|² = φᴴ G₂ φ, G₂ the rank-2 truncation of G, and
 * to first order φᴴ ΔG₂ φ = φᴴ ΔG φ when φ lies in the span of u₁, u₂ — which the bell's
 * boundary test keeps to ≥ 0.8. The replicate bell then goes through the same estimator: EFDD's
 * inverse FFT and decay fit (BellFitter), or FDD's half-power bandwidth and peak; the shape is
 * the leading vector of the replicate spectral matrix at the shape's line.
 *
 * Assumptions, stated in docs/oma.md: (1) the groups are independent — Welch segments with 50 %
 * Hann overlap correlate by ρ² ≈ 0.03 at a line (Welch 1967: ρ = Σ w_n w_{n+D}/Σ w² = 0.167), and
 * the segments are long against the modes' decay, which EFDD needs anyway; (2) the bell's extent,
 * the peak's shape φ and line, and the estimator's choices (extrema window, centre or vertex) are
 * those of the record — their own variability is not in σ; (3) the estimator is smooth in the
 * spectrum (the jackknife's condition); (4) σ is the scatter, not the bias: EFDD's damping is
 * biased by the bell's truncation and the noise floor by a few per cent, which σ does not cover.
 */
export interface SegmentUncertaintyOptions {
  readonly method: 'fdd' | 'efdd';
  /** The Welch overlap the spectrum was computed with. @default 0.5 */
  readonly overlap?: number;
  readonly efdd?: EfddOptions;
  /** At most this many jackknife groups. @default 32 */
  readonly groups?: number;
}

export const DEFAULT_JACKKNIFE_GROUPS = 32;
/** Fewer groups leave σ itself uncertain by more than ±27 %: no uncertainty is reported. */
export const MIN_JACKKNIFE_GROUPS = 8;

interface ModeBell {
  readonly peak: SpectralPeak;
  readonly mode: Mode;
  /** φ, unit norm (the peak's singular vector). */
  readonly phiRe: Float64Array;
  readonly phiIm: Float64Array;
  readonly from: number;
  readonly to: number;
  readonly values: Float64Array;
  readonly shapeLine: number;
  /** Per segment: |φᴴX_s|²·scale over [from, to] (segment-major), and X_s at the shape line. */
  readonly density: Float64Array;
  readonly xRe: Float64Array;
  readonly xIm: Float64Array;
}

/** Per mode, its uncertainty (undefined where the mode has no estimate, or too few segments). */
export async function fddUncertainty(
  channels: readonly (Float64Array | Float32Array)[],
  spectrum: FddSpectrum,
  peaks: readonly SpectralPeak[],
  modes: readonly Mode[],
  options: SegmentUncertaintyOptions,
  control: RunControl | Checkpoint = {},
): Promise<(ModalUncertainty | undefined)[]> {
  const checkpoint = toCheckpoint(control);
  const { csd } = spectrum;
  const k = csd.segments;
  const groups = Math.min(k, options.groups ?? DEFAULT_JACKKNIFE_GROUPS);
  if (groups < MIN_JACKKNIFE_GROUPS) return modes.map(() => undefined);
  const l = csd.channels;
  const nperseg = csd.nperseg;
  const macThreshold = options.efdd?.macThreshold ?? DEFAULT_BELL_MAC_THRESHOLD;
  const bells: (ModeBell | undefined)[] = peaks.map((peak, i) => {
    const mode = modes[i];
    if (mode === undefined || (options.method === 'efdd' && mode.error !== undefined)) return undefined;
    const shapeLine = peak.shapeLine ?? peak.line;
    const phi = shapeAt(spectrum, shapeLine, peak.singularValue - 1);
    const bell = sdofBell(spectrum, peak, macThreshold, options.efdd);
    const lines = bell.to - bell.from + 1;
    return {
      peak,
      mode,
      phiRe: phi.re.slice(),
      phiIm: phi.im.slice(),
      from: bell.from,
      to: bell.to,
      values: bell.values,
      shapeLine,
      density: new Float64Array(k * lines),
      xRe: new Float64Array(k * l),
      xIm: new Float64Array(k * l),
    };
  });
  // Second pass over the segments, exactly as welch.ts cut, windowed and scaled them.
  const step = Math.max(1, nperseg - Math.floor((options.overlap ?? DEFAULT_OVERLAP) * nperseg));
  const window = csd.window;
  let w2 = 0;
  for (const w of window) w2 += w * w;
  const lineCount = Math.floor(nperseg / 2) + 1;
  const nyquist = nperseg % 2 === 0 ? lineCount - 1 : -1;
  const fft = new AnyRealFft(nperseg);
  const seg = new Float64Array(nperseg);
  const xr = new Float64Array(l * lineCount);
  const xi = new Float64Array(l * lineCount);
  const outRe = new Float64Array(lineCount);
  const outIm = new Float64Array(lineCount);
  for (let s = 0; s < k; s++) {
    await checkpoint.tick((0.8 * s) / k, 'uncertainty: segments of the spectrum');
    const start = s * step;
    for (let c = 0; c < l; c++) {
      const x = channels[c] as Float64Array | Float32Array;
      let mean = 0;
      for (let i = 0; i < nperseg; i++) mean += x[start + i] as number;
      mean /= nperseg;
      for (let i = 0; i < nperseg; i++) seg[i] = ((x[start + i] as number) - mean) * (window[i] as number);
      fft.forward(seg, outRe, outIm);
      xr.set(outRe, c * lineCount);
      xi.set(outIm, c * lineCount);
    }
    for (const b of bells) {
      if (b === undefined) continue;
      const lines = b.to - b.from + 1;
      for (let line = b.from; line <= b.to; line++) {
        // φᴴ X = Σ conj(φ_c) X_c
        let zr = 0;
        let zi = 0;
        for (let c = 0; c < l; c++) {
          const pr = b.phiRe[c] as number;
          const pi = b.phiIm[c] as number;
          const ar = xr[c * lineCount + line] as number;
          const ai = xi[c * lineCount + line] as number;
          zr += pr * ar + pi * ai;
          zi += pr * ai - pi * ar;
        }
        const scale = (line === 0 || line === nyquist ? 1 : 2) / (csd.fs * w2);
        b.density[s * lines + line - b.from] = (zr * zr + zi * zi) * scale;
      }
      for (let c = 0; c < l; c++) {
        b.xRe[s * l + c] = xr[c * lineCount + b.shapeLine] as number;
        b.xIm[s * l + c] = xi[c * lineCount + b.shapeLine] as number;
      }
    }
  }
  const fitter = options.method === 'efdd' ? new BellFitter(spectrum, options.efdd) : undefined;
  const solver = new HermitianEigenSolver(l);
  const out: (ModalUncertainty | undefined)[] = [];
  for (const b of bells) {
    await checkpoint.tick(0.8 + (0.2 * out.length) / bells.length, 'uncertainty: jackknife replicates');
    out.push(b === undefined ? undefined : jackknife(b, spectrum, groups, fitter, solver));
  }
  checkpoint.report(1, 'uncertainty done');
  return out;
}

/** The delete-a-group replicates of one mode and their jackknife statistics. */
function jackknife(
  b: ModeBell,
  spectrum: FddSpectrum,
  groups: number,
  fitter: BellFitter | undefined,
  solver: HermitianEigenSolver,
): ModalUncertainty | undefined {
  const k = spectrum.csd.segments;
  const l = spectrum.csd.channels;
  const lines = b.to - b.from + 1;
  const mean = new Float64Array(lines);
  for (let s = 0; s < k; s++)
    for (let j = 0; j < lines; j++) mean[j] = (mean[j] as number) + (b.density[s * lines + j] as number) / k;
  const freqs = spectrum.frequencies;
  const full = halfPowerBandwidth(freqs, b.values, b.peak.line);
  const usesCentre = Math.abs(full.centre - b.mode.frequency) <= 1e-12 * b.mode.frequency;
  const f = new Float64Array(groups);
  const z = new Float64Array(groups);
  const shapes = new Float64Array(groups * l);
  const replicate = new Float64Array(b.values.length);
  for (let g = 0; g < groups; g++) {
    const s0 = Math.floor((g * k) / groups);
    const s1 = Math.floor(((g + 1) * k) / groups);
    const kept = k - (s1 - s0);
    replicate.set(b.values);
    for (let j = 0; j < lines; j++) {
      let left = 0;
      for (let s = s0; s < s1; s++) left += b.density[s * lines + j] as number;
      const without = (k * (mean[j] as number) - left) / kept;
      replicate[b.from + j] = Math.max(0, (b.values[b.from + j] as number) + without - (mean[j] as number));
    }
    if (fitter !== undefined) {
      const fit = fitter.fit(replicate);
      if (typeof fit === 'string') return undefined;
      f[g] = fit.frequency;
      z[g] = fit.damping;
    } else {
      const hp = halfPowerBandwidth(freqs, replicate, b.peak.line);
      z[g] = hp.damping;
      f[g] = usesCentre ? hp.centre : parabolaVertex(freqs, replicate, b.peak.line);
    }
    const shape = replicateShape(b, s0, s1, k, l, solver);
    if (shape === undefined) return undefined;
    shapes.set(shape, g * l);
  }
  const target = b.mode.shape;
  // Jackknife deviations scaled so that Σ_g δ_g δ_gᵀ is the jackknife covariance.
  const scale = Math.sqrt((groups - 1) / groups);
  const samples = new Float64Array(groups * l);
  for (let c = 0; c < l; c++) {
    let m = 0;
    for (let g = 0; g < groups; g++) m += (shapes[g * l + c] as number) / groups;
    for (let g = 0; g < groups; g++) samples[g * l + c] = scale * ((shapes[g * l + c] as number) - m);
  }
  return {
    frequencyStd: jackknifeStd(f),
    dampingStd: jackknifeStd(z),
    ...shapeStatistics(target, samples, groups),
    method: 'segments',
    blocks: groups,
  };
}

/** The unit-max real shape of the replicate spectral matrix's vector nearest the mode's shape. */
function replicateShape(
  b: ModeBell,
  s0: number,
  s1: number,
  k: number,
  l: number,
  solver: HermitianEigenSolver,
): Float64Array | undefined {
  // Σ over the kept segments of X Xᴴ (the common scale does not change the vectors).
  const ar = new Float64Array(l * l);
  const ai = new Float64Array(l * l);
  for (let s = 0; s < k; s++) {
    if (s >= s0 && s < s1) continue;
    for (let i = 0; i < l; i++) {
      const xr = b.xRe[s * l + i] as number;
      const xi = b.xIm[s * l + i] as number;
      for (let j = 0; j < l; j++) {
        const yr = b.xRe[s * l + j] as number;
        const yi = b.xIm[s * l + j] as number;
        ar[i * l + j] = (ar[i * l + j] as number) + xr * yr + xi * yi;
        ai[i * l + j] = (ai[i * l + j] as number) + xi * yr - xr * yi;
      }
    }
  }
  const count = Math.min(2, l);
  const values = new Float64Array(l);
  const vr = new Float64Array(count * l);
  const vi = new Float64Array(count * l);
  if (!solver.decompose(ar, ai, values, count, vr, vi)) return undefined;
  let best = 0;
  let bestMac = -1;
  for (let v = 0; v < count; v++) {
    const m = macArrays(vr, vi, b.phiRe, b.phiIm, l, v * l, 0);
    if (m > bestMac) {
      bestMac = m;
      best = v;
    }
  }
  return realShape({ re: vr.subarray(best * l, (best + 1) * l), im: vi.subarray(best * l, (best + 1) * l) });
}

/** √((n−1)/n · Σ (θ_g − θ̄)²): the jackknife standard deviation. */
function jackknifeStd(theta: Float64Array): number {
  const n = theta.length;
  let m = 0;
  for (const t of theta) m += t / n;
  let s = 0;
  for (const t of theta) s += (t - m) ** 2;
  return Math.sqrt(((n - 1) / n) * s);
}

/**
 * The vertex of the least-squares parabola through log p over the half-power top of the peak at
 * k (at least k ± 1, at most k ± 8 lines): FDD's peak frequency (peak-finder.ts), on a replicate.
 */
function parabolaVertex(freqs: Float64Array, p: Float64Array, k: number): number {
  const logAt = (j: number): number => Math.log10(Math.max(p[j] as number, Number.MIN_VALUE));
  const half = logAt(k) - Math.log10(2);
  let lo = k - 1;
  let hi = k + 1;
  while (lo > 1 && k - lo < 8 && logAt(lo - 1) >= half) lo--;
  while (hi < p.length - 2 && hi - k < 8 && logAt(hi + 1) >= half) hi++;
  // Normal equations of y ≈ a + b·x + c·x², x = line − k, by Cramer's rule.
  const s = [0, 0, 0, 0, 0];
  const t = [0, 0, 0];
  for (let j = lo; j <= hi; j++) {
    const x = j - k;
    const y = logAt(j);
    for (let e = 0; e < 5; e++) s[e] = (s[e] as number) + x ** e;
    for (let e = 0; e < 3; e++) t[e] = (t[e] as number) + y * x ** e;
  }
  const [s0, s1, s2, s3, s4] = s as [number, number, number, number, number];
  const [t0, t1, t2] = t as [number, number, number];
  const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
  const df = (freqs[1] as number) - (freqs[0] as number);
  if (det === 0) return freqs[k] as number;
  const b1 = (s0 * (t1 * s4 - s3 * t2) - t0 * (s1 * s4 - s3 * s2) + s2 * (s1 * t2 - t1 * s2)) / det;
  const c2 = (s0 * (s2 * t2 - t1 * s3) - s1 * (s1 * t2 - t1 * s2) + t0 * (s1 * s3 - s2 * s2)) / det;
  if (!(c2 < 0)) return freqs[k] as number;
  return (freqs[k] as number) + Math.max(lo - k, Math.min(hi - k, -b1 / (2 * c2))) * df;
}
