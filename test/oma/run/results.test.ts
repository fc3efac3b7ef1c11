import { describe, expect, it } from 'vitest';
import { resultToJson } from '../../../lib/oma/modal/json.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast } from '../support/assert-close.js';
import { frameModel } from '../support/scenarios.js';
import { score } from '../support/score.js';

/**
 * What a result says beside the modes: the band and why, diagnostics with codes and fixes,
 * harmonics, the channels left out (NaN in the shapes, null in JSON, never 0), and each mode's
 * expected uncertainty for the record's length (Au's law).
 */
const model = frameModel(5, 3, 0.01, 0.025);
const long = await simulateResponse(model, { fs: 100, duration: 600, seed: 1, noiseFraction: 0.05 });

describe('an analysis result', () => {
  it('leaves out the channels asked for: NaN in every shape, null in JSON, and says so', async () => {
    // Act
    const result = await analyzeRecord(long.channels, 100, {
      method: 'ssi',
      fmax: 20,
      excludeChannels: [2],
      channelNames: ['f1', 'f2', 'f3', 'f4', 'f5'],
    });
    // Assess
    expect(result.excluded_channels).toEqual([2]);
    expect(result.parameters.channels).toBe(4);
    const truth = long.modes.filter((m) => m.frequency <= 20);
    const s = score(result.modes, truth);
    expect(s.found, `missing ${s.missing.join(', ')}`).toBe(truth.length);
    for (const m of result.modes) {
      expect(m.shape).toHaveLength(5);
      expect(Number.isNaN(m.shape[2])).toBe(true);
    }
    const json = resultToJson(result) as { modes: { shape: (number | null)[] }[] };
    expect(json.modes[0]?.shape[2]).toBeNull();
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'CHANNEL_EXCLUDED', severity: 'info', channel: 2, channel_name: 'f3' }),
    );
  });

  it('gives every mode its expected uncertainty and warns when a short record leaves the damping meaningless', async () => {
    // Prepare: 3 minutes of the frame (f₁ = 3 Hz, 540 cycles)
    const short = await simulateResponse(model, { fs: 100, duration: 180, seed: 1, noiseFraction: 0.05 });
    // Act
    const a = await analyzeRecord(long.channels, 100, { method: 'ssi', fmax: 20 });
    const b = await analyzeRecord(short.channels, 100, { method: 'efdd', fmax: 20 });
    // Assess
    for (const m of a.modes) expect(m.expected?.damping_cv).toBeLessThan(0.5);
    const first = b.modes[0];
    expectAtLeast(first?.expected?.damping_cv ?? 0, 0.25, 'expected cv(ζ) of the first mode from 3 minutes');
    const uncertain = b.diagnostics.filter((d) => d.code === 'DAMPING_UNCERTAIN');
    for (const d of uncertain) {
      expect(d.mode).toBeGreaterThanOrEqual(1);
      expect(d.fix).toMatch(/^record at least \d+ (s|min|h)/);
      expect(b.modes[(d.mode ?? 0) - 1]?.expected?.damping_cv).toBeGreaterThan(0.5);
    }
  });

  it('says which band it searched and why, and refers to modes by their 1-based index', async () => {
    // Act
    const given = await analyzeRecord(long.channels, 100, { method: 'fdd', fmax: 20 });
    const byDefault = await analyzeRecord(long.channels, 100, { method: 'fdd' });
    // Assess
    expect(given.band).toMatchObject({ fmin: 0, fmax: 20, chosen: 'user' });
    expect(byDefault.band.chosen).toBe('auto');
    expect(byDefault.band.reason).not.toBe('');
    for (const r of [given, byDefault])
      for (const d of r.diagnostics) {
        expect(d.code).toMatch(/^[A-Z_]+$/);
        if (d.mode !== undefined) expect(r.modes[d.mode - 1]).toBeDefined();
      }
  });
});
