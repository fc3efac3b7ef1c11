import { expect } from 'vitest';
import { mac } from '../../../lib/oma/modal/mac.js';
import type { Mode } from '../../../lib/oma/modal/types.js';
import {
  modalModelFromMatrices,
  modalModelFromModes,
  randomOrthonormalShapes,
  shearFrame,
  type TrueMode,
} from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost } from './assert-close.js';

/**
 * Matching identified modes to the true ones and the accuracy criteria of the engine's issue:
 * every true mode found (highest MAC > 0.5 within ±5 % in frequency), nothing spurious, mean
 * relative frequency and damping errors and the least MAC within limits.
 */
export interface Match {
  readonly truth: TrueMode;
  readonly mode: Mode;
  readonly mac: number;
}

export function match(
  modes: readonly Mode[],
  truth: readonly TrueMode[],
): { matches: Match[]; missing: TrueMode[]; spurious: Mode[] } {
  const used = new Set<number>();
  const matches: Match[] = [];
  const missing: TrueMode[] = [];
  for (const t of truth) {
    let best = -1;
    let bestMac = 0;
    modes.forEach((m, i) => {
      if (used.has(i) || Math.abs(m.frequency - t.frequency) > 0.05 * t.frequency) return;
      const v = mac({ re: t.shape }, { re: m.shape });
      if (v > bestMac && v > 0.5) {
        best = i;
        bestMac = v;
      }
    });
    const m = modes[best];
    if (m === undefined) missing.push(t);
    else {
      used.add(best);
      matches.push({ truth: t, mode: m, mac: bestMac });
    }
  }
  return { matches, missing, spurious: modes.filter((_, i) => !used.has(i)) };
}

export const mean = (x: readonly number[]): number => x.reduce((a, b) => a + b, 0) / x.length;

export const describeModes = (modes: readonly { frequency: number }[]): string =>
  modes.map((m) => m.frequency.toFixed(3)).join(', ');

export interface Criteria {
  /** Mean relative frequency error, %. */
  readonly frequencyPct?: number;
  /** Mean relative damping error, %. */
  readonly dampingPct?: number;
  readonly minMac?: number;
}

/** Asserts every mode found, none spurious, and the criteria; returns the matches. */
export function expectModes(
  modes: readonly Mode[],
  truth: readonly TrueMode[],
  criteria: Criteria,
  what: string,
): Match[] {
  const { matches, missing, spurious } = match(modes, truth);
  expect(missing, `${what}: missing ${describeModes(missing)}; found ${describeModes(modes)}`).toHaveLength(
    0,
  );
  expect(spurious, `${what}: spurious ${describeModes(spurious)}`).toHaveLength(0);
  if (criteria.frequencyPct !== undefined) {
    const df = mean(matches.map((m) => Math.abs(m.mode.frequency / m.truth.frequency - 1)));
    expectAtMost(100 * df, criteria.frequencyPct, `${what}: mean frequency error %`);
  }
  if (criteria.dampingPct !== undefined) {
    for (const m of matches)
      expect(m.mode.error, `${what}: ${m.truth.frequency.toFixed(2)} Hz has no damping`).toBeUndefined();
    const dz = mean(matches.map((m) => Math.abs(m.mode.damping / m.truth.damping - 1)));
    expectAtMost(100 * dz, criteria.dampingPct, `${what}: mean damping error %`);
  }
  if (criteria.minMac !== undefined)
    for (const m of matches)
      expectAtLeast(m.mac, criteria.minMac, `${what}: MAC at ${m.truth.frequency.toFixed(2)} Hz`);
  return matches;
}

/** The SSI criteria of the issue. */
export const SSI_CRITERIA: Criteria = { frequencyPct: 0.1, dampingPct: 10, minMac: 0.99 };

/** A uniform shear frame of `storeys` with first frequency f1 and damping from z0 to z1. */
export function uniformFrame(storeys: number, f1: number, z0: number, z1: number) {
  // For a uniform frame ω₁ = 2√(k/m) sin(π/(2(2N+1))).
  const s = Math.sin(Math.PI / (2 * (2 * storeys + 1)));
  const k = ((2 * Math.PI * f1) / (2 * s)) ** 2 * 1000;
  const { mass, stiffness } = shearFrame(Array(storeys).fill(1000), Array(storeys).fill(k));
  const damping = Array.from({ length: storeys }, (_, j) => z0 + ((z1 - z0) * j) / Math.max(1, storeys - 1));
  return modalModelFromMatrices(mass, stiffness, storeys, damping);
}

/** Six DOFs built from chosen modes: 1.6, 4.2, 7.00, f2, 11.3, 16.8 Hz (the pair 7.00/f2 at ζ). */
export function closeModes(f2 = 7.14, zeta = 0.01) {
  return modalModelFromModes(
    [1.6, 4.2, 7.0, f2, 11.3, 16.8],
    [0.015, 0.01, zeta, zeta, 0.02, 0.015],
    randomOrthonormalShapes(6, 7),
  );
}
