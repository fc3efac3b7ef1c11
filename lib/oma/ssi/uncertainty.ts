import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { RealEigenSolver } from '../linalg/real-eig.js';
import type { ModalUncertainty } from '../modal/types.js';
import { BlockSamples } from './block-samples.js';
import { prepareMode, type UncertaintyTarget } from './mode-sensitivity.js';
import type { SsiModel } from './ssi.js';
import { BlockToeplitzOperator } from './toeplitz-operator.js';

/**
 * Statistical uncertainty of SSI-cov modal parameters by first-order perturbation of the output
 * correlations through the subspace steps (Reynders, Pintelon & De Roeck 2008, "Uncertainty
 * bounds on modal parameters obtained from stochastic subspace identification", MSSP 22;
 * Döhler & Mevel 2013, "Efficient multi-order uncertainty computation for stochastic subspace
 * identification", MSSP 38).
 *
 * Covariance of the correlations: the record is cut into n_b blocks (correlation.ts), whose
 * correlations R^(g) scatter around R̄; with ΔR_g = √(n_b/(n_b−1))·(S_g − c_g R̄)/(N − k) (S_g the
 * block's sums, c_g its sample count per lag), cov(vec R̄) ≈ Σ_g vec ΔR_g vec ΔR_gᵀ — the factor
 * T of Σ = T Tᵀ in Döhler & Mevel (§3), never formed. Every quantity below is linear in ΔR, so
 * each block's ΔR_g is carried through the steps and σ² of a parameter is the sum of the squares
 * of its n_b first-order changes (Döhler & Mevel's "sample" propagation; no Jacobian is built).
 *
 * The steps at model order n (the mode's pole at its sharpest truncation, estimates.ts), with
 * T = U S Vᵀ:
 *  1. Subspace. O = U_n S_n^½ changes by ΔO = (I − U_nU_nᵀ) ΔT V_n S_n^{-½} + O X: the first
 *     term is the first-order perturbation of the dominant left singular subspace with the
 *     discarded singular values neglected against the retained ones (Li & Vaccaro 1991, IEEE
 *     Trans. Signal Process. 39, eq. 14), the second a change of state basis — A ↦ A + AX − XA,
 *     C ↦ C + CX — that leaves eigenvalues and C·eigenvectors unchanged, so it is dropped.
 *  2. State matrix, least squares O↑A = O↓ (Reynders et al. 2008, eq. 36):
 *     ΔA ψ = (O↑ᵀO↑)⁻¹ [ΔO↑ᵀ ρ + O↑ᵀ(ΔO↓ψ − μ ΔO↑ψ)], ρ = (O↓ − O↑A)ψ,
 *     so only β = ΔO ψ and α = ΔOᵀ [ρ; 0] are needed: two block Toeplitz products per block
 *     (toeplitz-operator.ts) instead of ΔT V_n.
 *  3. Eigenvalue Δμ = χᴴ ΔA ψ / χᴴψ; eigenvector from the bordered system
 *     [A − μI, ψ; χᴴ/χᴴψ, 0] [Δψ; ·] = [−(ΔA − Δμ I)ψ; 0] (any multiple of ψ drops out with the
 *     normalisation below); shape Δφ = ΔC ψ + C Δψ, ΔCψ = the first block row of β.
 *  4. λ = fs ln μ: Δλ = fs Δμ/μ; f = |λ|/2π → Δf = Re(λ̄Δλ)/(2π|λ|);
 *     ζ = −Re λ/|λ| → Δζ = −Re Δλ/|λ| + Re λ · Re(λ̄Δλ)/|λ|³ (Reynders et al. 2008, eqs. 39–41).
 *  5. Shape normalised by its largest component φ_m: Δ(φ/φ_m) = (Δφ − (φ/φ_m) Δφ_m)/φ_m; its
 *     real part gives the σ of the reported unit-max shape and its MAC interval
 *     (modal/shape-statistics.ts).
 * Cost per block: the l·r transforms of ΔR_g; per block and mode two FFT products and O(br·l·n).
 */
export type { UncertaintyTarget } from './mode-sensitivity.js';

/**
 * Per mode, the uncertainty of its pole `targets[i]` (undefined when there is none, or when the
 * pole cannot be found again at its order).
 */
export async function ssiUncertainty(
  model: SsiModel,
  fs: number,
  targets: readonly (UncertaintyTarget | undefined)[],
  control: RunControl | Checkpoint = {},
): Promise<(ModalUncertainty | undefined)[]> {
  const checkpoint = toCheckpoint(control);
  const { correlations: corr } = model;
  const { blockSums, blockStarts } = corr;
  const nb = blockStarts === undefined ? 0 : blockStarts.length - 1;
  if (blockSums === undefined || blockStarts === undefined || nb < 2) return targets.map(() => undefined);
  const l = corr.channels;
  const r = corr.references.length;
  const lags = corr.maxLag + 1;
  const n = blockStarts[nb] as number;
  const stride = lags * l * r;
  const solver = new RealEigenSolver(Math.max(2, ...targets.map((t) => t?.order ?? 2)));
  const modes = targets.map((t) => (t === undefined ? undefined : prepareMode(model, fs, t, solver)));
  const samples = modes.map((m) => (m === undefined ? undefined : new BlockSamples(m, nb)));
  const op = new BlockToeplitzOperator(l, r, model.br);
  const delta = new Float64Array(stride);
  const scale = Math.sqrt(nb / (nb - 1));
  for (let g = 0; g < nb; g++) {
    await checkpoint.tick(g / nb, 'uncertainty: propagating the blocks');
    // ΔR_g = √(n_b/(n_b−1))·(S_g − c_g R̄)/(N − k), c_g the block's samples with t + k < N.
    const start = blockStarts[g] as number;
    const end = blockStarts[g + 1] as number;
    for (let k = 0; k < lags; k++) {
      const count = end - start - Math.max(0, end + k - n);
      const norm = scale / (n - k);
      for (let c = 0; c < l * r; c++) {
        const idx = k * l * r + c;
        delta[idx] = norm * ((blockSums[g * stride + idx] as number) - count * (corr.data[idx] as number));
      }
    }
    op.load(delta);
    for (const s of samples) s?.add(g, op);
  }
  checkpoint.report(1, 'uncertainty done');
  return samples.map((s) => s?.result());
}

/**
 * The first-order changes of each target's frequency and damping for given changes of the
 * correlations (same layout as `OutputCorrelations.data`): the linearisation itself, which the
 * tests compare with finite differences of the identification.
 */
export function firstOrderChanges(
  model: SsiModel,
  fs: number,
  targets: readonly UncertaintyTarget[],
  deltas: readonly Float64Array[],
): ({ frequency: Float64Array; damping: Float64Array } | undefined)[] {
  const corr = model.correlations;
  const solver = new RealEigenSolver(Math.max(2, ...targets.map((t) => t.order)));
  const op = new BlockToeplitzOperator(corr.channels, corr.references.length, model.br);
  const samples = targets.map((t) => {
    const m = prepareMode(model, fs, t, solver);
    return m === undefined ? undefined : new BlockSamples(m, deltas.length);
  });
  deltas.forEach((delta, g) => {
    op.load(delta);
    for (const s of samples) s?.add(g, op);
  });
  return samples.map((s) => s?.changes());
}
