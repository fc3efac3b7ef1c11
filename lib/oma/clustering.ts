import { macArrays } from './mac.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from './modal.js';
import type { Mode } from './results.js';
import type { DiagramPole } from './stabilization.js';

/**
 * Clustering of the stable poles of a stabilization diagram into modes (after the automated
 * interpretation of Reynders, Houbrechts & De Roeck 2012, "Fully automated (operational) modal
 * analysis", MSSP 29, and Magalhães, Cunha & Caetano 2009, MSSP 23):
 *  - distance between poles d = |f_a - f_b| / max(f_a, f_b) + (1 - MAC_ab);
 *  - agglomerative clustering with average linkage, merging while the closest pair of clusters
 *    is within `maxDistance`; poles are first split wherever consecutive frequencies differ by
 *    more than `maxDistance` relative (no cluster can bridge such a gap), which keeps each
 *    O(k³) clustering small;
 *  - a cluster is a mode if it holds poles from at least `minPolesFraction` of the model
 *    orders (a physical mode is stable over a wide range of orders; a noise pole is not), with
 *    at most one pole per order (the one nearest the cluster's median frequency);
 *  - a cluster whose representative shape has MAC ≥ 0.9 with that of a larger cluster within
 *    ±30 % in frequency is dropped: over-specified models often carry a second, more damped
 *    "shadow" of a strong mode that is itself stable over several orders;
 *  - the mode's frequency and damping are the means over the cluster with their standard
 *    deviations; its shape is that of the pole nearest the median frequency.
 */
export interface ClusteringOptions {
  /** @default 0.04 */
  readonly maxDistance?: number;
  /** @default 0.3 */
  readonly minPolesFraction?: number;
}

export interface ClusteredModes {
  readonly modes: Mode[];
  /** For each diagram pole, the index of its mode or -1. */
  readonly assignment: Int32Array;
}

export function clusterPoles(
  poles: readonly DiagramPole[],
  orderCount: number,
  options: ClusteringOptions = {},
): ClusteredModes {
  const maxDistance = options.maxDistance ?? 0.04;
  const minPoles = Math.max(3, Math.ceil((options.minPolesFraction ?? 0.3) * orderCount));
  const assignment = new Int32Array(poles.length).fill(-1);
  const stable = poles.map((p, i) => ({ p, i })).filter(({ p }) => p.stable);
  stable.sort((a, b) => a.p.frequency - b.p.frequency);
  const groups: (typeof stable)[] = [];
  for (const s of stable) {
    const last = groups[groups.length - 1];
    const prev = last?.[last.length - 1];
    if (
      last !== undefined &&
      prev !== undefined &&
      s.p.frequency - prev.p.frequency <= maxDistance * s.p.frequency
    ) {
      last.push(s);
    } else {
      groups.push([s]);
    }
  }
  const found: { members: typeof stable }[] = [];
  for (const g of groups) {
    for (const cluster of averageLinkage(
      g.map((x) => x.p),
      maxDistance,
    )) {
      const members = dedupeOrders(cluster.map((k) => g[k] as (typeof stable)[number]));
      if (members.length >= minPoles) found.push({ members });
    }
  }
  const kept = dropShadows(found);
  kept.sort((a, b) => mean(a.members.map((m) => m.p.frequency)) - mean(b.members.map((m) => m.p.frequency)));
  const modes = kept.map(({ members }, index) => {
    for (const m of members) assignment[m.i] = index;
    const freqs = members.map((m) => m.p.frequency);
    const damps = members.map((m) => m.p.damping);
    const med = median(freqs);
    let rep = members[0] as (typeof stable)[number];
    for (const m of members) if (Math.abs(m.p.frequency - med) < Math.abs(rep.p.frequency - med)) rep = m;
    const shape = { re: rep.p.source.shapeRe, im: rep.p.source.shapeIm };
    const mode: Mode = {
      frequency: mean(freqs),
      damping: mean(damps),
      shape: realShape(shape),
      frequencyStd: std(freqs),
      dampingStd: std(damps),
      order: rep.p.order,
      poles: members.length,
      mpc: modalPhaseCollinearity(shape),
      mpd: meanPhaseDeviation(shape),
    };
    return mode;
  });
  return { modes, assignment };
}

const SHADOW_MAC = 0.9;
const SHADOW_SPAN = 0.3;

/** Removes clusters that repeat a larger cluster's shape nearby in frequency. */
function dropShadows<T extends { members: { p: DiagramPole }[] }>(clusters: readonly T[]): T[] {
  const rep = clusters.map(({ members }) => {
    const med = median(members.map((m) => m.p.frequency));
    let best = members[0] as { p: DiagramPole };
    for (const m of members) if (Math.abs(m.p.frequency - med) < Math.abs(best.p.frequency - med)) best = m;
    return best.p;
  });
  return clusters.filter((c, i) => {
    const a = rep[i] as DiagramPole;
    return !clusters.some((other, j) => {
      if (j === i || other.members.length <= c.members.length) return false;
      const b = rep[j] as DiagramPole;
      if (Math.abs(a.frequency - b.frequency) > SHADOW_SPAN * Math.max(a.frequency, b.frequency))
        return false;
      return macArrays(a.source.shapeRe, a.source.shapeIm, b.source.shapeRe, b.source.shapeIm) >= SHADOW_MAC;
    });
  });
}

function distance(a: DiagramPole, b: DiagramPole): number {
  const df = Math.abs(a.frequency - b.frequency) / Math.max(a.frequency, b.frequency);
  const m = macArrays(a.source.shapeRe, a.source.shapeIm, b.source.shapeRe, b.source.shapeIm);
  return df + (1 - m);
}

/** Average-linkage agglomerative clustering; returns clusters as index lists into `items`. */
function averageLinkage(items: readonly DiagramPole[], cutoff: number): number[][] {
  const k = items.length;
  if (k === 0) return [];
  const d = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      const v = distance(items[a] as DiagramPole, items[b] as DiagramPole);
      d[a * k + b] = v;
      d[b * k + a] = v;
    }
  }
  const clusters: (number[] | undefined)[] = Array.from({ length: k }, (_, i) => [i]);
  const size = new Float64Array(k).fill(1);
  for (;;) {
    let best = Number.POSITIVE_INFINITY;
    let ba = -1;
    let bb = -1;
    for (let a = 0; a < k; a++) {
      if (clusters[a] === undefined) continue;
      for (let b = 0; b < a; b++) {
        if (clusters[b] === undefined) continue;
        const v = d[a * k + b] as number;
        if (v < best) {
          best = v;
          ba = a;
          bb = b;
        }
      }
    }
    if (ba < 0 || best > cutoff) break;
    // Merge ba into bb; Lance–Williams update for average linkage.
    const na = size[ba] as number;
    const nb = size[bb] as number;
    for (let c = 0; c < k; c++) {
      if (c === ba || c === bb || clusters[c] === undefined) continue;
      const v = (na * (d[ba * k + c] as number) + nb * (d[bb * k + c] as number)) / (na + nb);
      d[bb * k + c] = v;
      d[c * k + bb] = v;
    }
    size[bb] = na + nb;
    clusters[bb] = [...(clusters[bb] ?? []), ...(clusters[ba] ?? [])];
    clusters[ba] = undefined;
  }
  return clusters.filter((c): c is number[] => c !== undefined);
}

/** Keeps one pole per model order: the one nearest the members' median frequency. */
function dedupeOrders<T extends { p: DiagramPole }>(members: readonly T[]): T[] {
  const med = median(members.map((m) => m.p.frequency));
  const byOrder = new Map<number, T>();
  for (const m of members) {
    const cur = byOrder.get(m.p.order);
    if (cur === undefined || Math.abs(m.p.frequency - med) < Math.abs(cur.p.frequency - med))
      byOrder.set(m.p.order, m);
  }
  return [...byOrder.values()];
}

function mean(x: readonly number[]): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

function std(x: readonly number[]): number {
  if (x.length < 2) return 0;
  const m = mean(x);
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
}

function median(x: readonly number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[h] as number) : 0.5 * ((s[h - 1] as number) + (s[h] as number));
}
