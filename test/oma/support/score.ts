import { type Mode, mac, type TrueMode } from '../../../lib/oma/index.js';

/**
 * Scoring identified modes against the truth, per method: found / spurious, mean and worst
 * frequency error, mean damping error, least MAC. A true mode is found by the identified mode
 * with the highest MAC (> 0.5) within ±5 % in frequency, each identified mode used once. Shapes
 * may carry NaN at excluded channels: MAC is taken over the channels both have.
 */
export interface Score {
  readonly found: number;
  readonly expected: number;
  readonly spurious: number;
  readonly meanFrequencyErrorPct: number;
  readonly maxFrequencyErrorPct: number;
  readonly meanDampingErrorPct: number;
  readonly minMac: number;
  readonly missing: readonly number[];
  readonly spuriousAt: readonly number[];
}

export function finiteMac(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const u = a[i] as number;
    const v = b[i] as number;
    if (Number.isFinite(u) && Number.isFinite(v)) {
      x.push(u);
      y.push(v);
    }
  }
  return mac({ re: Float64Array.from(x) }, { re: Float64Array.from(y) });
}

export function score(modes: readonly Mode[], truth: readonly TrueMode[], withDamping = true): Score {
  const used = new Set<number>();
  let fErr = 0;
  let fMax = 0;
  let zErr = 0;
  let zCount = 0;
  let minMac = 1;
  const missing: number[] = [];
  for (const t of truth) {
    let best = -1;
    let bestMac = 0.5;
    modes.forEach((m, i) => {
      if (used.has(i) || Math.abs(m.frequency - t.frequency) > 0.05 * t.frequency) return;
      const v = finiteMac(t.shape, m.shape);
      if (v > bestMac) {
        bestMac = v;
        best = i;
      }
    });
    const m = modes[best];
    if (m === undefined) {
      missing.push(t.frequency);
      continue;
    }
    used.add(best);
    const e = Math.abs(m.frequency - t.frequency) / t.frequency;
    fErr += e;
    fMax = Math.max(fMax, e);
    if (withDamping && Number.isFinite(m.damping)) {
      zErr += Math.abs(m.damping - t.damping) / t.damping;
      zCount++;
    }
    minMac = Math.min(minMac, bestMac);
  }
  const found = truth.length - missing.length;
  const spuriousAt = modes.filter((_, i) => !used.has(i)).map((m) => m.frequency);
  return {
    found,
    expected: truth.length,
    spurious: spuriousAt.length,
    meanFrequencyErrorPct: (100 * fErr) / Math.max(1, found),
    maxFrequencyErrorPct: 100 * fMax,
    meanDampingErrorPct: withDamping && zCount > 0 ? (100 * zErr) / zCount : Number.NaN,
    minMac: found > 0 ? minMac : Number.NaN,
    missing,
    spuriousAt,
  };
}

export function formatScore(method: string, s: Score): string {
  const z = Number.isFinite(s.meanDampingErrorPct) ? s.meanDampingErrorPct.toFixed(1) : '-';
  const extra = [
    s.missing.length > 0 ? `missing ${s.missing.map((f) => f.toFixed(2)).join(',')}` : '',
    s.spuriousAt.length > 0 ? `spurious ${s.spuriousAt.map((f) => f.toFixed(2)).join(',')}` : '',
  ]
    .filter((x) => x !== '')
    .join('; ');
  return `${method.padEnd(5)} ${`${s.found}/${s.expected}`.padStart(6)} ${String(s.spurious).padStart(4)} ${s.meanFrequencyErrorPct.toFixed(3).padStart(7)} ${z.padStart(6)} ${Number.isFinite(s.minMac) ? s.minMac.toFixed(3) : '-'} ${extra}`;
}
