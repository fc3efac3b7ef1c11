import type { Checkpoint } from '../control.js';
import { macArrays } from '../modal/mac.js';
import { meanPhaseDeviation, modalPhaseCollinearity, realShape } from '../modal/modal.js';
import type { Mode } from '../modal/types.js';
import type { ClusteredModes } from './clustering.js';
import type { SsiIdentification } from './ssi.js';
import type { DiagramPole } from './stabilization.js';
import { ssiUncertainty } from './uncertainty.js';

/**
 * From clusters of stable poles to the modes SSI reports: each mode is its cluster's pole at the
 * sharpest truncation, with that pole's statistical uncertainty (uncertainty.ts).
 *
 * The sharpest truncation is the cluster's model order n with the smallest σ_{n+1}/σ_n of the
 * block Toeplitz matrix. First-order perturbation of the retained subspace holds while the
 * estimation error is small against the gap between retained and discarded singular values
 * (Stewart & Sun 1990, Matrix Perturbation Theory, §V.4); where σ_{n+1} ≈ σ_n the linearised
 * pole of a weak mode overshoots its real scatter by factors of 2–50 (measured over 20 records of
 * the 5-storey frame), while at the sharpest truncation it matches finite differences of the
 * identification to a few per cent. Reporting that same pole keeps the estimate and its σ one
 * thing: the cluster mean over all orders can sit several σ away when a mode's poles drift at
 * high orders (1 record in 50 of the 5-storey frame), and its frequency errors were no smaller
 * (mean |Δf| 0.081–0.096 % against 0.077–0.087 % for the pole, four modes, 50 records). The
 * cluster's spread stays available as `orderSpread`.
 */
export function sharpestPole<T extends { readonly order: number }>(
  candidates: readonly T[],
  sigma: Float64Array,
): T | undefined {
  let best: T | undefined;
  let bestRatio = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const next = sigma[c.order];
    const last = sigma[c.order - 1];
    if (next === undefined || last === undefined || !(last > 0)) continue;
    const ratio = next / last;
    if (ratio < bestRatio || (ratio === bestRatio && best !== undefined && c.order < best.order)) {
      bestRatio = ratio;
      best = c;
    }
  }
  return best;
}

/**
 * A cluster's poles with the mode's track below them: from the lowest member down, order by
 * order, the physical pole within 1 % in frequency and MAC ≥ 0.9 of the one above. A mode's first
 * appearances are not "stable" (its damping settles over a few orders), yet they are often at the
 * sharpest truncation — the order that first holds all modes up to this one. (The highest mode of
 * a 3-storey frame appears at order 6, its exact model order with σ₇/σ₆ = 0.006, and is stable
 * only from order 10, where the truncation falls among noise singular values.)
 */
export function withTrackBelow(
  members: readonly DiagramPole[],
  diagram: readonly DiagramPole[],
  frequencyTolerance = 0.01,
  minMac = 0.9,
): DiagramPole[] {
  let lowest: DiagramPole | undefined;
  for (const m of members) if (lowest === undefined || m.order < lowest.order) lowest = m;
  const out = [...members];
  const byOrder = new Map<number, DiagramPole[]>();
  for (const p of diagram) {
    if (!p.physical) continue;
    const list = byOrder.get(p.order);
    if (list === undefined) byOrder.set(p.order, [p]);
    else list.push(p);
  }
  const orders = [...byOrder.keys()].sort((a, b) => b - a);
  while (lowest !== undefined) {
    const from: DiagramPole = lowest;
    const below = orders.find((o) => o < from.order);
    lowest = undefined;
    if (below === undefined) break;
    for (const p of byOrder.get(below) ?? []) {
      const d = Math.abs(p.frequency - from.frequency);
      if (d > frequencyTolerance * from.frequency) continue;
      const m = macArrays(p.source.shapeRe, p.source.shapeIm, from.source.shapeRe, from.source.shapeIm);
      if (m >= minMac && (lowest === undefined || d < Math.abs(lowest.frequency - from.frequency)))
        lowest = p;
    }
    if (lowest !== undefined) out.push(lowest);
  }
  return out;
}

/** The mode as its pole: frequency, damping, shape, order, MPC and MPD of that pole. */
export function modeAtPole(mode: Mode, pole: DiagramPole): Mode {
  const shape = { re: pole.source.shapeRe, im: pole.source.shapeIm };
  return {
    ...mode,
    frequency: pole.frequency,
    damping: pole.damping,
    shape: realShape(shape),
    order: pole.order,
    mpc: modalPhaseCollinearity(shape),
    mpd: meanPhaseDeviation(shape),
  };
}

/** A mode whose poles drift over the orders by more than this many σ gets a warning. */
const DRIFT_SIGMAS = 2;

/**
 * The reported modes of a clustered diagram: each at its sharpest pole and, when the
 * identification kept its model (`uncertaintyBlocks`), with its uncertainty.
 */
export async function ssiEstimates(
  ident: SsiIdentification,
  diagram: readonly DiagramPole[],
  clustered: ClusteredModes,
  fs: number,
  checkpoint: Checkpoint,
): Promise<{ modes: Mode[]; warnings: string[] }> {
  const sharp = clustered.modes.map((_, k) =>
    sharpestPole(
      withTrackBelow(
        diagram.filter((_, i) => clustered.assignment[i] === k),
        diagram,
      ),
      ident.singularValues,
    ),
  );
  let modes = clustered.modes.map((m, k) => {
    const pole = sharp[k];
    return pole === undefined ? m : modeAtPole(m, pole);
  });
  const warnings: string[] = [];
  if (ident.model === undefined) return { modes, warnings };
  const found = await ssiUncertainty(ident.model, fs, sharp, checkpoint);
  modes = modes.map((m, k) => {
    const u = found[k];
    return u === undefined ? m : { ...m, uncertainty: u };
  });
  for (const m of modes) {
    const spread = m.orderSpread?.frequency;
    const sigma = m.uncertainty?.frequencyStd;
    if (spread !== undefined && sigma !== undefined && spread > DRIFT_SIGMAS * sigma) {
      warnings.push(
        `mode at ${m.frequency.toFixed(3)} Hz: its poles drift over the model orders by ${spread.toPrecision(2)} Hz (order_spread), more than ${DRIFT_SIGMAS}× its statistical σ of ${sigma.toPrecision(2)} Hz: here the model order, not the record length, limits the estimate; check the stabilization diagram`,
      );
    }
  }
  return { modes, warnings };
}
