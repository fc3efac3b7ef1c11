import { describe, expect, it } from 'vitest';
import { OmaCancelledError } from '../../../lib/oma/errors.js';
import { mac, macArrays } from '../../../lib/oma/modal/mac.js';
import { averageLinkage, clusterPoles, clusterPolesAsync } from '../../../lib/oma/ssi/clustering.js';
import type { SsiIdentification, SsiPole } from '../../../lib/oma/ssi/ssi.js';
import { type DiagramPole, stabilizationDiagram } from '../../../lib/oma/ssi/stabilization.js';
import { testRandom } from '../support/assert-close.js';

/** Factories for SSI poles and stable diagram poles with a real shape. */
function ssiPole(order: number, frequency: number, damping: number, shape: readonly number[]): SsiPole {
  return {
    order,
    frequency,
    damping,
    shapeRe: Float64Array.from(shape),
    shapeIm: new Float64Array(shape.length),
    mpc: 1,
    mpd: 0,
    inRange: true,
  };
}

function stablePole(
  order: number,
  frequency: number,
  damping: number,
  shape: readonly number[],
): DiagramPole {
  return {
    order,
    frequency,
    damping,
    mac: 1,
    mpc: 1,
    mpd: 0,
    physical: true,
    stableFrequency: true,
    stableDamping: true,
    stableShape: true,
    stable: true,
    mode: -1,
    source: ssiPole(order, frequency, damping, shape),
  };
}

/** A mode's stable poles at orders from..to (step 2) with a little scatter. */
function modePoles(
  f: number,
  zeta: number,
  shape: readonly number[],
  orders: readonly [number, number],
  seed: number,
): DiagramPole[] {
  const r = testRandom(seed);
  const out: DiagramPole[] = [];
  for (let order = orders[0]; order <= orders[1]; order += 2)
    out.push(stablePole(order, f * (1 + 5e-4 * r()), zeta * (1 + 0.02 * r()), shape));
  return out;
}

describe('stabilizationDiagram', () => {
  it('flags physical and stable poles against the nearest physical pole of the previous order', () => {
    // Prepare: a 5 Hz mode at orders 2, 4, 6; at order 6 also a 7 Hz pole of 30 % damping
    const shape = [1, 0.5, -0.3];
    const ident: SsiIdentification = {
      orders: [2, 4, 6],
      poles: [
        [ssiPole(2, 5, 0.02, shape)],
        [ssiPole(4, 5.002, 0.0201, shape)],
        [ssiPole(6, 5.2, 0.0201, shape), ssiPole(6, 7, 0.3, shape)],
      ],
      singularValues: new Float64Array(6),
      timings: { correlations: 0, toeplitzSvd: 0, poles: 0 },
    };
    // Act
    const diagram = stabilizationDiagram(ident);
    // Assess
    expect(diagram.map((p) => [p.order, p.physical, p.stable])).toEqual([
      [2, true, false],
      [4, true, true],
      [6, true, false],
      [6, false, false],
    ]);
    expect(diagram[2]?.stableFrequency).toBe(false);
    expect(diagram[2]?.stableDamping).toBe(true);
  });
});

describe('clusterPoles', () => {
  const a = [1, 0.8, 0.6, 0.4, 0.2, 0.1];
  const b = [1.1, 0.7, 0.7, 0.3, 0.3, 0];

  it('keeps two modes whose shapes coincide at the sensors (MAC 0.98) 17 % apart', () => {
    // Prepare
    const poles = [...modePoles(10.78, 0.012, a, [10, 100], 1), ...modePoles(12.63, 0.0126, b, [16, 100], 2)];
    expect(mac({ re: Float64Array.from(a) }, { re: Float64Array.from(b) })).toBeGreaterThan(0.95);
    // Act
    const { modes } = clusterPoles(poles, 50);
    // Assess
    expect(modes.map((m) => m.frequency.toFixed(1))).toEqual(['10.8', '12.6']);
  });

  it('drops a more damped "shadow" of a stronger mode, and only that', () => {
    // Prepare: 8.76 Hz at 1.5 % on 46 orders; 9.63 Hz, same shape, on 20 orders
    const mode = modePoles(8.76, 0.015, a, [10, 100], 3);
    const shadow = modePoles(9.63, 0.03, a, [62, 100], 4);
    const sibling = modePoles(9.63, 0.016, a, [62, 100], 5);
    // Act
    const withShadow = clusterPoles([...mode, ...shadow], 50);
    const withSibling = clusterPoles([...mode, ...sibling], 50);
    // Assess
    expect(withShadow.modes.map((m) => m.frequency.toFixed(2))).toEqual(['8.76']);
    expect(withShadow.assignment.filter((x) => x === 0)).toHaveLength(mode.length);
    expect(withSibling.modes.map((m) => m.frequency.toFixed(2))).toEqual(['8.76', '9.63']);
  });

  it('finds the same clusters as merging the globally closest pair each time (the O(k³) method)', () => {
    // Prepare: 240 poles around 6 frequencies with random shapes and scatter
    const r = testRandom(9);
    const shapes = Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => r()));
    const items: DiagramPole[] = [];
    for (let i = 0; i < 240; i++) {
      const m = i % 6;
      const shape = (shapes[m] as number[]).map((x) => x + 0.15 * r());
      items.push(stablePole(2 + (i % 50), 4 * (1 + 0.03 * m) * (1 + 0.01 * r()), 0.02, shape));
    }
    // Act
    const fast = averageLinkage(items, 0.04);
    const reference = greedyAverageLinkage(items, 0.04);
    // Assess
    const canonical = (clusters: number[][]) =>
      clusters.map((c) => [...c].sort((x, y) => x - y).join(',')).sort();
    expect(canonical(fast)).toEqual(canonical(reference));
    expect(fast.length).toBeGreaterThan(1);
  });

  it('clusters 1 840 poles in one group into its 40 modes and honours an abort', async () => {
    // Prepare: 40 modes 3 % apart (one group), 50 orders
    const r = testRandom(4);
    const poles: DiagramPole[] = [];
    for (let m = 0; m < 40; m++) {
      const shape = Array.from({ length: 40 }, () => r());
      poles.push(...modePoles(4 * 1.03 ** m, 0.01, shape, [2, 100], 100 + m));
    }
    const controller = new AbortController();
    controller.abort('stop');
    // Act
    const { modes } = await clusterPolesAsync(poles, 50);
    const aborted = await clusterPolesAsync(poles, 50, {}, { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(modes).toHaveLength(40);
    expect(aborted).toBeInstanceOf(OmaCancelledError);
  });
});

/** The textbook method: merge the closest pair of clusters (average linkage) until > cutoff. */
function greedyAverageLinkage(items: readonly DiagramPole[], cutoff: number): number[][] {
  const k = items.length;
  const d = (x: DiagramPole, y: DiagramPole): number =>
    Math.abs(x.frequency - y.frequency) / Math.max(x.frequency, y.frequency) +
    1 -
    macArrays(x.source.shapeRe, x.source.shapeIm, y.source.shapeRe, y.source.shapeIm);
  let clusters = Array.from({ length: k }, (_, i) => [i]);
  const linkage = (p: number[], q: number[]): number => {
    let s = 0;
    for (const i of p) for (const j of q) s += d(items[i] as DiagramPole, items[j] as DiagramPole);
    return s / (p.length * q.length);
  };
  for (;;) {
    let best = Number.POSITIVE_INFINITY;
    let pair: [number, number] = [-1, -1];
    for (let i = 0; i < clusters.length; i++)
      for (let j = 0; j < i; j++) {
        const v = linkage(clusters[i] as number[], clusters[j] as number[]);
        if (v < best) {
          best = v;
          pair = [i, j];
        }
      }
    if (best > cutoff) return clusters;
    const [i, j] = pair;
    const merged = [...(clusters[i] as number[]), ...(clusters[j] as number[])];
    clusters = clusters.filter((_, c) => c !== i && c !== j);
    clusters.push(merged);
  }
}
