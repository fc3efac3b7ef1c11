import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../lib/oma/errors.js';
import { mac } from '../../../lib/oma/modal/mac.js';
import type { OmaResult } from '../../../lib/oma/modal/types.js';
import { multiSetupLayout } from '../../../lib/oma/multisetup/layout.js';
import { analyzeSetups, type SetupRecord } from '../../../lib/oma/run/multisetup.js';
import { simulateResponse, trueModes } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost } from '../support/assert-close.js';
import { uniformFrame } from '../support/match.js';

/**
 * Multi-setup analyses (lib/oma/run/multisetup.ts, lib/oma/multisetup/): a 12-storey frame
 * (2.0, 6.0, 9.8, 13.6, 17.1 Hz below 20 Hz) measured in 3 setups that keep sensors at storeys 6
 * and 12 as references and move 4, 4 and 2 roving sensors over the other storeys; each setup is a
 * separate record with its own excitation level (×1, ×2.5, ×0.6) and seed.
 */
const model = uniformFrame(12, 2, 0.01, 0.02);
const REFS = [5, 11];
const ROVERS = [
  [0, 1, 2, 3],
  [4, 6, 7, 8],
  [9, 10],
];
const FMAX = 20;

async function setups(rates: readonly number[] = [50, 50, 50], duration = 300): Promise<SetupRecord[]> {
  const out: SetupRecord[] = [];
  for (const [j, rovers] of ROVERS.entries()) {
    const dofs = [...REFS, ...rovers];
    const fs = rates[j] ?? 50;
    const rec = await simulateResponse(model, {
      fs,
      duration,
      seed: 30 + j,
      noiseFraction: 0.05,
      channels: dofs,
      forceStd: [1, 2.5, 0.6][j] ?? 1,
    });
    out.push({
      name: `s${j + 1}`,
      channels: rec.channels,
      channelNames: dofs.map((d) => `storey${d + 1}`),
      fs,
      references: ['storey6', 'storey12'],
    });
  }
  return out;
}

/** Every mode below fmax found within 0.5 %, its shape over all 12 DOFs with MAC ≥ 0.99. */
function expectMergedShapes(result: OmaResult, what: string): void {
  const order = [...REFS, ...ROVERS.flat()];
  for (const truth of trueModes(model, order).filter((m) => m.frequency < FMAX)) {
    const m = result.modes.find((x) => Math.abs(x.frequency / truth.frequency - 1) < 0.005);
    expect(m, `${what}: the ${truth.frequency.toFixed(2)} Hz mode`).toBeDefined();
    if (m === undefined) continue;
    expect(
      Array.from(m.shape).every(Number.isFinite),
      `${what}: shape complete at ${truth.frequency.toFixed(2)} Hz`,
    ).toBe(true);
    expectAtLeast(
      mac({ re: truth.shape }, { re: m.shape }),
      0.99,
      `${what}: MAC over all DOFs at ${truth.frequency.toFixed(2)} Hz`,
    );
  }
}

describe('multi-setup layout', () => {
  it('names the references after the first setup and every roving sensor after its setup', () => {
    const layout = multiSetupLayout([
      { name: 'a', channelNames: ['r1', 'x', 'r2'], references: ['r1', 'r2'] },
      { name: 'b', channelNames: ['x', 'R1', 'R2'], references: [1, 2] },
    ]);
    expect(layout.dofs).toEqual(['r1', 'r2', 'a/x', 'b/x']);
    expect(layout.setups.map((s) => [s.references, s.rovers, s.roverDofs])).toEqual([
      [[0, 2], [1], [2]],
      [[1, 2], [0], [3]],
    ]);
  });

  it('refuses setups that share no usable reference, naming every problem', () => {
    const attempt = () =>
      multiSetupLayout([
        { name: 'a', channelNames: ['r1', 'x'], references: ['r1'] },
        { name: 'b', channelNames: ['r1', 'y'], references: [] },
        { name: 'c', channelNames: ['r1', 'z'], references: ['r9'] },
      ]);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(/setup 'b' declares no reference channel/);
    expect(attempt).toThrow(/setup 'c' has no channel 'r9' \(its channels: r1, z\)/);
    expect(attempt).toThrow(/The setups share no usable reference/);
  });
});

describe('analyzeSetups', () => {
  it('PoSER merges SSI modes of 3 setups into shapes over all DOFs (MAC ≥ 0.99)', async () => {
    const result = await analyzeSetups(await setups(), {
      method: 'ssi',
      merge: 'poser',
      fmax: FMAX,
      orderMax: 40,
    });
    expect(result.multiSetup?.dofs).toHaveLength(12);
    expectMergedShapes(result, 'PoSER/SSI');
    const first = result.modes[0];
    expect(first?.setups?.map((s) => s.setup)).toEqual(['s1', 's2', 's3']);
    for (const s of first?.setups ?? []) expectAtLeast(s.referenceMac, 0.99, `reference MAC of ${s.setup}`);
    expect(first?.uncertainty?.frequencyStd).toBeGreaterThan(0);
    expect(result.warnings).toEqual([]);
  });

  it('PoSER merges EFDD modes alike', async () => {
    const result = await analyzeSetups(await setups(), { method: 'efdd', fmax: FMAX });
    expectMergedShapes(result, 'PoSER/EFDD');
  });

  it('PreGER identifies SSI once on the merged setups, shapes over all DOFs (MAC ≥ 0.99)', async () => {
    const result = await analyzeSetups(await setups(), {
      method: 'ssi',
      merge: 'preger',
      fmax: FMAX,
      orderMax: 40,
    });
    expect(result.multiSetup?.merge).toBe('preger');
    expect(result.stabilization?.poles.length).toBeGreaterThan(0);
    expectMergedShapes(result, 'PreGER');
  });

  it('resamples a setup recorded at another rate, and says so', async () => {
    const result = await analyzeSetups(await setups([50, 64, 50]), {
      method: 'ssi',
      fmax: FMAX,
      orderMax: 40,
    });
    expect(result.fs).toBe(50);
    expect(result.warnings.join('\n')).toMatch(/setup 's2' was recorded at 64 Hz .* resampled to 50 Hz/);
    expectMergedShapes(result, 'PoSER/SSI with a resampled setup');
  });

  it("warns, naming the setup and the mode, when a setup's references disagree", async () => {
    // Setup s3 declares its references in the wrong order (storey 12 first).
    const records = await setups();
    const swapped = records.map((s) => (s.name === 's3' ? { ...s, references: ['storey12', 'storey6'] } : s));
    const result = await analyzeSetups(swapped, { method: 'ssi', fmax: FMAX, orderMax: 40 });
    const text = result.warnings.join('\n');
    expect(text).toMatch(
      /mode at \d+\.\d{3} Hz: the references of setup 's3' disagree with the merged ones \(MAC 0\.\d\d\)/,
    );
  });

  it('refuses PreGER for a method other than SSI', async () => {
    await expect(analyzeSetups(await setups(), { method: 'efdd', merge: 'preger' })).rejects.toThrow(
      /PreGER merges SSI's correlations; use it with method 'ssi' \(got 'efdd'\)/,
    );
  });

  it('keeps the frequencies of the merged modes within 0.5 % of the truth', async () => {
    const result = await analyzeSetups(await setups(), { method: 'ssi', fmax: FMAX, orderMax: 40 });
    for (const truth of trueModes(model, REFS).filter((m) => m.frequency < FMAX)) {
      const m = result.modes.find((x) => Math.abs(x.frequency / truth.frequency - 1) < 0.05);
      expectAtMost(
        Math.abs((m?.frequency ?? 0) / truth.frequency - 1),
        0.005,
        `frequency of ${truth.frequency.toFixed(2)} Hz`,
      );
    }
  });
});
