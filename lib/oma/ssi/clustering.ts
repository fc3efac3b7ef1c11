import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { macArrays } from '../modal/mac.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from '../modal/modal.js';
import type { Mode } from '../modal/types.js';
import type { DiagramPole } from './stabilization.js';

/**
 * Clustering of the stable poles of a stabilization diagram into modes (after the automated
 * interpretation of Reynders, Houbrechts & De Roeck 2012, "Fully automated (operational) modal
 * analysis", MSSP 29, and Magalhães, Cunha & Caetano 2009, MSSP 23):
 *  - distance between poles d = |f_a - f_b| / max(f_a, f_b) + (1 - MAC_ab);
 *  - agglomerative clustering with average linkage, merging while the closest pair of clusters
 *    is within `maxDistance` (by the nearest-neighbour chain, O(k²)); poles are first split
 *    wherever consecutive frequencies differ by more than `maxDistance` relative (no cluster can
 *    bridge such a gap);
 *  - a cluster is a mode if it holds poles from at least `minPolesFraction` of the model
 *    orders (a physical mode is stable over a wide range of orders; a noise pole is not), with
 *    at most one pole per order (the one nearest the cluster's median frequency);
 *  - a cluster is dropped as a "shadow" of a larger cluster (one with more poles) when all three
 *    hold: representative shapes with MAC ≥ `shadowMac`, frequencies within `shadowFrequency`
 *    (relative) and a mean damping at least `shadowDamping` times the larger cluster's.
 *    Over-specified models carry such a second, more damped copy of a strong mode that is itself
 *    stable over several orders (measured: 8.23 Hz at 5.9 % beside the 8.74 Hz/1.3 % mode and
 *    9.63 Hz at 2.3 % beside 8.76 Hz/1.6 % on the 5-storey frame, 10-minute records; 4.76 Hz at
 *    4.3 % beside 3.89 Hz/2.1 % on a 3-storey frame, 23 % away; MAC 0.93–1.00, damping 1.4–4.6×).
 *    Shape and frequency alone are not enough: with few sensors two real modes can have MAC 0.98
 *    at the sensors (spatial aliasing; the 24-storey frame's 10.78 and 12.63 Hz modes with 6
 *    sensors, 17 % apart, damping ratio 0.88–1.07 over 9 records), and a rule on shape and a
 *    ±30 % span alone deleted the weaker of them;
 *  - the mode's frequency and damping are the means over the cluster, with their standard
 *    deviations as `orderSpread` (how steady the poles are over the orders — not the statistical
 *    uncertainty, which uncertainty.ts computes); its shape is that of the pole nearest the
 *    median frequency. (SSI reports each mode at one pole of its cluster: estimates.ts.)
 */
export interface ClusteringOptions {
  /** @default 0.04 */
  readonly maxDistance?: number;
  /** @default 0.3 */
  readonly minPolesFraction?: number;
  /** Shadow test: least MAC with the larger cluster's shape. @default 0.9 */
  readonly shadowMac?: number;
  /** Shadow test: largest relative frequency distance from the larger cluster. @default 0.3 */
  readonly shadowFrequency?: number;
  /** Shadow test: least ratio of its mean damping to the larger cluster's. @default 1.3 */
  readonly shadowDamping?: number;
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
  const steps = clusterSteps(poles, orderCount, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** {@link clusterPoles} with a checkpoint between steps (cancellation, progress). */
export async function clusterPolesAsync(
  poles: readonly DiagramPole[],
  orderCount: number,
  options: ClusteringOptions = {},
  control: RunControl | Checkpoint = {},
): Promise<ClusteredModes> {
  const checkpoint = toCheckpoint(control);
  const steps = clusterSteps(poles, orderCount, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) {
      checkpoint.report(1, 'clustering done');
      return step.value;
    }
    await checkpoint.tick(undefined, 'clustering stable poles');
  }
}

function* clusterSteps(
  poles: readonly DiagramPole[],
  orderCount: number,
  options: ClusteringOptions,
): Generator<void, ClusteredModes> {
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
    const clusters = yield* averageLinkageSteps(
      g.map((x) => x.p),
      maxDistance,
    );
    for (const cluster of clusters) {
      const members = dedupeOrders(cluster.map((k) => g[k] as (typeof stable)[number]));
      if (members.length >= minPoles) found.push({ members });
    }
  }
  const kept = dropShadows(found, {
    mac: options.shadowMac ?? SHADOW_MAC,
    frequency: options.shadowFrequency ?? SHADOW_FREQUENCY,
    damping: options.shadowDamping ?? SHADOW_DAMPING,
  });
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
      orderSpread: { frequency: std(freqs), damping: std(damps) },
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
const SHADOW_FREQUENCY = 0.3;
const SHADOW_DAMPING = 1.3;

/** Removes clusters that repeat a larger cluster's shape nearby, more damped (see above). */
function dropShadows<T extends { members: { p: DiagramPole }[] }>(
  clusters: readonly T[],
  limits: { mac: number; frequency: number; damping: number },
): T[] {
  const summary = clusters.map(({ members }) => {
    const med = median(members.map((m) => m.p.frequency));
    let best = members[0] as { p: DiagramPole };
    for (const m of members) if (Math.abs(m.p.frequency - med) < Math.abs(best.p.frequency - med)) best = m;
    return { rep: best.p, frequency: med, damping: mean(members.map((m) => m.p.damping)) };
  });
  return clusters.filter((c, i) => {
    const a = summary[i] as (typeof summary)[number];
    return !clusters.some((other, j) => {
      if (j === i || other.members.length <= c.members.length) return false;
      const b = summary[j] as (typeof summary)[number];
      if (Math.abs(a.frequency - b.frequency) > limits.frequency * b.frequency) return false;
      if (a.damping < limits.damping * b.damping) return false;
      const { shapeRe: ar, shapeIm: ai } = a.rep.source;
      return macArrays(ar, ai, b.rep.source.shapeRe, b.rep.source.shapeIm) >= limits.mac;
    });
  });
}

function distance(a: DiagramPole, b: DiagramPole): number {
  const df = Math.abs(a.frequency - b.frequency) / Math.max(a.frequency, b.frequency);
  const m = macArrays(a.source.shapeRe, a.source.shapeIm, b.source.shapeRe, b.source.shapeIm);
  return df + (1 - m);
}

/**
 * Average-linkage agglomerative clustering cut at `cutoff`, by the nearest-neighbour chain
 * (Murtagh 1983, "A survey of recent advances in hierarchical clustering algorithms", Comput. J.
 * 26; Müllner 2011, arXiv:1109.2378): follow nearest neighbours until two clusters are each
 * other's nearest, merge them (Lance–Williams update), continue from the chain's rest. Average
 * linkage is reducible — a merged cluster is never closer to a third than the nearer of its two
 * parts — so this gives the same clusters as always merging the globally closest pair, in O(k²)
 * instead of O(k³) (2 188 stable poles: 6.8 s before). A cluster with no neighbour within the
 * cutoff can never merge again and leaves the chain. Yields after each step so a caller can
 * honour cancellation. Returns clusters as index lists into `items`.
 */
function* averageLinkageSteps(items: readonly DiagramPole[], cutoff: number): Generator<void, number[][]> {
  const k = items.length;
  if (k === 0) return [];
  // Float32 halves the k² matrix; distances near the 0.04 cutoff need far fewer than 7 digits.
  const d = new Float32Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      const v = distance(items[a] as DiagramPole, items[b] as DiagramPole);
      d[a * k + b] = v;
      d[b * k + a] = v;
    }
    if ((a & 63) === 63) yield;
  }
  const members: (number[] | undefined)[] = Array.from({ length: k }, (_, i) => [i]);
  const active = new Uint8Array(k).fill(1);
  const size = new Float64Array(k).fill(1);
  const done: number[][] = [];
  const chain: number[] = [];
  let next = 0;
  for (;;) {
    if (chain.length === 0) {
      while (next < k && active[next] === 0) next++;
      if (next >= k) break;
      chain.push(next);
    }
    const a = chain[chain.length - 1] as number;
    const previous = chain.length >= 2 ? (chain[chain.length - 2] as number) : -1;
    // Nearest active neighbour of a; ties go to the previous chain element (no cycles).
    let b = previous;
    let best = previous >= 0 ? (d[a * k + previous] as number) : Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === a || active[c] === 0) continue;
      const v = d[a * k + c] as number;
      if (v < best) {
        best = v;
        b = c;
      }
    }
    if (b < 0 || best > cutoff) {
      // Nothing within the cutoff now, so never (reducibility): a is final.
      chain.pop();
      active[a] = 0;
      done.push(members[a] ?? []);
      members[a] = undefined;
    } else if (b === previous) {
      // Reciprocal nearest neighbours: merge a into b.
      chain.pop();
      chain.pop();
      const na = size[a] as number;
      const nb = size[b] as number;
      for (let c = 0; c < k; c++) {
        if (c === a || c === b || active[c] === 0) continue;
        const v = (na * (d[a * k + c] as number) + nb * (d[b * k + c] as number)) / (na + nb);
        d[b * k + c] = v;
        d[c * k + b] = v;
      }
      size[b] = na + nb;
      const into = members[b] ?? [];
      for (const m of members[a] ?? []) into.push(m);
      members[a] = undefined;
      active[a] = 0;
    } else {
      chain.push(b);
    }
    yield;
  }
  return done;
}

/** {@link averageLinkageSteps} run to the end (exported for tests). */
export function averageLinkage(items: readonly DiagramPole[], cutoff: number): number[][] {
  const steps = averageLinkageSteps(items, cutoff);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
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
