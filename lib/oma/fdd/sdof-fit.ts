/**
 * A least-squares fit of the SDOF acceleration spectrum to a bell, for EFDD where the bell is cut
 * short by a neighbour (crowded modes): the inverse FFT of a truncated bell is the correlation of
 * a narrower-band process, whose envelope decays too slowly (measured on a 30-storey frame: the
 * damping of its crowded upper modes 30–45 % low). The model is the acceleration response of a
 * mode to white excitation,
 *
 *   S(f) = A f⁴ / ((f₀² − f²)² + (2ζ f₀ f)²),
 *
 * fitted to the logarithm of the bell's lines (a Welch line is χ²_ν/ν times the density, so its
 * logarithm scatters by the same amount at every line: unweighted least squares is the natural
 * estimator; the curve-fit variant of EFDD, Jacobsen, Andersen & Brincker 2008, "Applications of
 * frequency domain curve-fitting in the EFDD technique", IMAC XXVI). Gauss–Newton on (ln A, f₀,
 * ln ζ) — ln A enters linearly and is eliminated at each step — with step halving, from the
 * peak's frequency and half-power damping. O(lines × iterations); a few arrays per iteration.
 */
export interface SdofFit {
  readonly frequency: number;
  readonly damping: number;
}

const ITERATIONS = 30;

export function fitSdof(
  frequencies: Float64Array,
  bell: Float64Array,
  from: number,
  to: number,
  f0: number,
  zeta0: number,
): SdofFit | undefined {
  if (to - from < 4 || !(f0 > 0) || !(zeta0 > 0)) return undefined;
  let f = f0;
  let lz = Math.log(zeta0);
  let cost = residual(frequencies, bell, from, to, f, Math.exp(lz)).cost;
  for (let it = 0; it < ITERATIONS; it++) {
    const z = Math.exp(lz);
    // Jacobian of the model's log (without ln A) by central differences in f₀ and ln ζ, with
    // the mean removed (ln A absorbs any constant); normal equations 2×2.
    const hf = 1e-6 * f;
    const hz = 1e-6;
    let a11 = 0;
    let a12 = 0;
    let a22 = 0;
    let b1 = 0;
    let b2 = 0;
    const r = residual(frequencies, bell, from, to, f, z);
    const jf = derivative(frequencies, bell, from, to, f + hf, z, f - hf, z, 2 * hf);
    const jz = derivative(frequencies, bell, from, to, f, Math.exp(lz + hz), f, Math.exp(lz - hz), 2 * hz);
    for (let k = from, i = 0; k <= to; k++, i++) {
      if (!((bell[k] as number) > 0)) continue;
      const gf = (jf[i] as number) - jf.mean;
      const gz = (jz[i] as number) - jz.mean;
      const e = (r.values[i] as number) - r.mean;
      a11 += gf * gf;
      a12 += gf * gz;
      a22 += gz * gz;
      b1 += gf * e;
      b2 += gz * e;
    }
    const det = a11 * a22 - a12 * a12;
    if (!(det > 0)) break;
    let df = (a22 * b1 - a12 * b2) / det;
    let dz = (a11 * b2 - a12 * b1) / det;
    let improved = false;
    for (let half = 0; half < 12; half++) {
      const trial = residual(frequencies, bell, from, to, f + df, Math.exp(lz + dz)).cost;
      if (trial < cost) {
        f += df;
        lz += dz;
        cost = trial;
        improved = true;
        break;
      }
      df /= 2;
      dz /= 2;
    }
    if (!improved || (Math.abs(df) < 1e-9 * f && Math.abs(dz) < 1e-7)) break;
  }
  const damping = Math.exp(lz);
  if (!(damping > 0 && damping < 0.5 && f > 0)) return undefined;
  return { frequency: f, damping };
}

/** ln(data) − ln(model without A) per line, their mean, and the cost with ln A at its optimum. */
function residual(
  frequencies: Float64Array,
  bell: Float64Array,
  from: number,
  to: number,
  f0: number,
  zeta: number,
): { values: Float64Array; mean: number; cost: number } {
  const values = new Float64Array(to - from + 1);
  let sum = 0;
  let count = 0;
  for (let k = from, i = 0; k <= to; k++, i++) {
    const v = bell[k] as number;
    if (!(v > 0)) continue;
    const e = Math.log(v) - logModel(frequencies[k] as number, f0, zeta);
    values[i] = e;
    sum += e;
    count++;
  }
  const mean = count > 0 ? sum / count : 0;
  let cost = 0;
  for (let k = from, i = 0; k <= to; k++, i++)
    if ((bell[k] as number) > 0) cost += ((values[i] as number) - mean) ** 2;
  return { values, mean, cost };
}

/** ∂ ln model / ∂θ by central differences (θ moved between the two parameter sets), with its mean. */
function derivative(
  frequencies: Float64Array,
  bell: Float64Array,
  from: number,
  to: number,
  fa: number,
  za: number,
  fb: number,
  zb: number,
  h: number,
): Float64Array & { mean: number } {
  const out = Object.assign(new Float64Array(to - from + 1), { mean: 0 });
  let sum = 0;
  let count = 0;
  for (let k = from, i = 0; k <= to; k++, i++) {
    if (!((bell[k] as number) > 0)) continue;
    const x = frequencies[k] as number;
    const g = (logModel(x, fa, za) - logModel(x, fb, zb)) / h;
    out[i] = g;
    sum += g;
    count++;
  }
  out.mean = count > 0 ? sum / count : 0;
  return out;
}

/** ln(f⁴ / ((f₀² − f²)² + (2ζf₀f)²)). */
function logModel(f: number, f0: number, zeta: number): number {
  const d = f0 * f0 - f * f;
  const c = 2 * zeta * f0 * f;
  return 4 * Math.log(f) - Math.log(d * d + c * c);
}
