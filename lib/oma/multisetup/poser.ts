import { macArrays } from '../modal/mac.js';
import { normaliseInPlace } from '../modal/modal.js';
import type { ModalUncertainty, Mode, SetupEstimate } from '../modal/types.js';
import type { MultiSetupLayout } from './layout.js';

/**
 * Post-identification merging of multi-setup results, PoSER (Döhler, Andersen & Mevel 2012,
 * "Operational modal analysis using a fast stochastic subspace identification method", IMAC XXX;
 * the procedure of ARTeMIS and PyOMA2's MultiSetup_PoSER): each setup is identified on its own,
 * the same mode is found in every setup, and each setup's shape is rescaled so that its
 * reference components fit the others' — then its roving components take the same scale.
 *
 *  1. Pairing: a setup's mode joins a merged mode within `frequencyTolerance` (relative) whose
 *     reference components it matches with MAC ≥ `minReferenceMac`; pairs are taken in order of
 *     d = |Δf|/f + (1 − MAC_ref), one per merged mode and setup; the rest start merged modes.
 *  2. Scale: the least-squares factor α_s = φ_s,refᵀ r̄ / φ_s,refᵀ φ_s,ref onto the merged
 *     references r̄ = mean_s α_s φ_s,ref, alternated twice from r̄ = the first setup's.
 *  3. Shape over all DOFs: r̄ at the references, α_s φ_s at setup s's roving sensors, null where
 *     no setup found the mode; unit max. Frequency and damping: inverse-variance means of the
 *     setups' when every setup reports σ (σ of the mean 1/√Σσ⁻²), else plain means.
 */
export interface PoserOptions {
  /** @default 0.05 */
  readonly frequencyTolerance?: number;
  /** Pairs below this MAC of the reference components are not the same mode. @default 0.5 */
  readonly minReferenceMac?: number;
  /** Pairs below this reference MAC are merged with a warning. @default 0.9 */
  readonly warnReferenceMac?: number;
}

interface Member {
  readonly setup: number;
  readonly mode: Mode;
}

export function mergePoser(
  layout: MultiSetupLayout,
  perSetup: readonly (readonly Mode[])[],
  options: PoserOptions = {},
): { modes: Mode[]; warnings: string[] } {
  const tolerance = options.frequencyTolerance ?? 0.05;
  const minMac = options.minReferenceMac ?? 0.5;
  const warnMac = options.warnReferenceMac ?? 0.9;
  const warnings: string[] = [];
  const r = layout.referenceCount;
  if (r === 1)
    warnings.push(
      'one reference channel: modes are paired across setups by frequency alone and scaled by one value each; two or more references let the pairing check the shapes',
    );
  const refs = (m: Member): Float64Array =>
    Float64Array.from(layout.setups[m.setup]?.references ?? [], (i) => m.mode.shape[i] as number);
  const groups: Member[][] = [];
  perSetup.forEach((modes, s) => {
    const pairs: { g: number; m: number; d: number }[] = [];
    modes.forEach((mode, m) => {
      groups.forEach((group, g) => {
        const f = group.reduce((a, x) => a + x.mode.frequency, 0) / group.length;
        const df = Math.abs(mode.frequency - f) / f;
        const first = group[0] as Member;
        const mac = r > 1 ? macArrays(refs({ setup: s, mode }), undefined, refs(first), undefined) : 1;
        if (df <= tolerance && mac >= minMac) pairs.push({ g, m, d: df + (1 - mac) });
      });
    });
    pairs.sort((a, b) => a.d - b.d);
    const usedGroups = new Set<number>();
    const usedModes = new Set<number>();
    for (const p of pairs) {
      if (usedGroups.has(p.g) || usedModes.has(p.m)) continue;
      usedGroups.add(p.g);
      usedModes.add(p.m);
      groups[p.g]?.push({ setup: s, mode: modes[p.m] as Mode });
    }
    modes.forEach((mode, m) => {
      if (!usedModes.has(m)) groups.push([{ setup: s, mode }]);
    });
  });
  const merged = groups.map((group) => mergeGroup(layout, group, refs, warnMac, warnings));
  merged.sort((a, b) => a.frequency - b.frequency);
  return { modes: merged, warnings };
}

function mergeGroup(
  layout: MultiSetupLayout,
  group: readonly Member[],
  refs: (m: Member) => Float64Array,
  warnMac: number,
  warnings: string[],
): Mode {
  const r = layout.referenceCount;
  const refVectors = group.map(refs);
  let target = Float64Array.from(refVectors[0] as Float64Array);
  let scales = group.map(() => 1);
  for (let pass = 0; pass < 2; pass++) {
    scales = refVectors.map((v) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < r; i++) {
        num += (v[i] as number) * (target[i] as number);
        den += (v[i] as number) ** 2;
      }
      return den > 0 ? num / den : Number.NaN;
    });
    const next = new Float64Array(r);
    refVectors.forEach((v, k) => {
      for (let i = 0; i < r; i++)
        next[i] = (next[i] as number) + ((scales[k] as number) * (v[i] as number)) / group.length;
    });
    normaliseInPlace(next, 'unit-max');
    target = next;
  }
  const shape = new Float64Array(layout.dofs.length).fill(Number.NaN);
  shape.set(target, 0);
  group.forEach((m, k) => {
    const setup = layout.setups[m.setup];
    setup?.rovers.forEach((channel, j) => {
      shape[setup.roverDofs[j] as number] = (scales[k] as number) * (m.mode.shape[channel] as number);
    });
  });
  const norm = largestMagnitude(shape);
  normaliseInPlace(shape, 'unit-max');
  const estimates = estimatesOf(layout, group, refVectors, target, scales);
  const { frequency, damping, uncertainty } = combine(group, scales, layout, norm);
  warnAbout(layout, group, estimates, refVectors, frequency, warnMac, warnings);
  return {
    frequency,
    damping,
    shape,
    setups: estimates,
    ...(uncertainty === undefined ? {} : { uncertainty }),
  };
}

function estimatesOf(
  layout: MultiSetupLayout,
  group: readonly Member[],
  refVectors: readonly Float64Array[],
  target: Float64Array,
  scales: readonly number[],
): SetupEstimate[] {
  return group.map((m, k) => ({
    setup: layout.setups[m.setup]?.name ?? String(m.setup),
    frequency: m.mode.frequency,
    damping: m.mode.damping,
    referenceMac:
      layout.referenceCount > 1 ? macArrays(refVectors[k] as Float64Array, undefined, target, undefined) : 1,
    scale: scales[k] as number,
  }));
}

/** Inverse-variance means when every setup gives σ, plain means otherwise; shape σ scaled alike. */
function combine(
  group: readonly Member[],
  scales: readonly number[],
  layout: MultiSetupLayout,
  norm: number,
): { frequency: number; damping: number; uncertainty?: ModalUncertainty } {
  const us = group.map((m) => m.mode.uncertainty);
  const mean = (values: number[]) => {
    const ok = values.filter(Number.isFinite);
    return ok.length === 0 ? Number.NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
  };
  const plain = {
    frequency: mean(group.map((m) => m.mode.frequency)),
    damping: mean(group.map((m) => m.mode.damping)),
  };
  if (us.some((u) => u === undefined)) return plain;
  const weighted = (value: (m: Member) => number, sigma: (u: ModalUncertainty) => number) => {
    let sw = 0;
    let swx = 0;
    group.forEach((m, k) => {
      const s = sigma(us[k] as ModalUncertainty);
      const x = value(m);
      if (!(s > 0) || !Number.isFinite(x)) return;
      sw += 1 / (s * s);
      swx += x / (s * s);
    });
    return sw > 0 ? { value: swx / sw, sigma: 1 / Math.sqrt(sw) } : { value: Number.NaN, sigma: Number.NaN };
  };
  const f = weighted(
    (m) => m.mode.frequency,
    (u) => u.frequencyStd,
  );
  const z = weighted(
    (m) => m.mode.damping,
    (u) => u.dampingStd,
  );
  const shapeStd = new Float64Array(layout.dofs.length).fill(Number.NaN);
  group.forEach((m, k) => {
    const std = us[k]?.shapeStd;
    const setup = layout.setups[m.setup];
    if (std === undefined || setup === undefined) return;
    setup.rovers.forEach((channel, j) => {
      shapeStd[setup.roverDofs[j] as number] =
        (Math.abs(scales[k] as number) * (std[channel] as number)) / norm;
    });
  });
  const first = us[0] as ModalUncertainty;
  return {
    frequency: f.value,
    damping: z.value,
    uncertainty: {
      frequencyStd: f.sigma,
      dampingStd: z.sigma,
      shapeStd,
      method: first.method,
      ...(first.blocks === undefined ? {} : { blocks: first.blocks }),
    },
  };
}

function warnAbout(
  layout: MultiSetupLayout,
  group: readonly Member[],
  estimates: readonly SetupEstimate[],
  refVectors: readonly Float64Array[],
  frequency: number,
  warnMac: number,
  warnings: string[],
): void {
  const at = `mode at ${frequency.toFixed(3)} Hz`;
  for (const [k, e] of estimates.entries()) {
    if (layout.referenceCount > 1 && e.referenceMac < warnMac)
      warnings.push(
        `${at}: the references of setup '${e.setup}' disagree with the merged ones (MAC ${e.referenceMac.toFixed(2)}): check the reference sensors, or whether this is another mode`,
      );
    const moves = largestMagnitude(refVectors[k] as Float64Array);
    if (moves < 0.1)
      warnings.push(
        `${at}: the reference sensors barely move in setup '${e.setup}' (largest reference component ${moves.toFixed(3)} of the shape's largest): its roving part is scaled from almost nothing; a reference where this mode moves would fix it`,
      );
  }
  const apart = group.filter((m) => {
    const sigma = m.mode.uncertainty?.frequencyStd;
    return sigma !== undefined && Math.abs(m.mode.frequency - frequency) > 3 * sigma;
  });
  if (apart.length > 0)
    warnings.push(
      `${at}: the setups disagree on its frequency by more than 3σ (${group.map((m) => `'${layout.setups[m.setup]?.name}' ${m.mode.frequency.toFixed(4)} ± ${(m.mode.uncertainty?.frequencyStd ?? Number.NaN).toPrecision(2)}`).join(', ')} Hz): did the structure change between setups (temperature, mass, traffic)?`,
    );
  if (group.length < layout.setups.length) {
    const found = new Set(group.map((m) => m.setup));
    const missing = layout.setups.filter((_, s) => !found.has(s)).map((s) => `'${s.name}'`);
    warnings.push(
      `${at}: not found in setup${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; its shape is null at their roving sensors`,
    );
  }
}

function largestMagnitude(x: Float64Array): number {
  let big = 0;
  for (const v of x) if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
  return big;
}
