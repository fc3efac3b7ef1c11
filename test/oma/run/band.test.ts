import { describe, expect, it } from 'vitest';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { bandFromScan, scanBand } from '../../../lib/oma/run/band.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost, expectClose } from '../support/assert-close.js';
import { frameModel, slowTower, tallFrame, windFrame } from '../support/scenarios.js';
import { score } from '../support/score.js';

/**
 * Defaults that see the whole band: the band and decimation from where the spectrum holds
 * coherent modal content (not a fixed 25 Hz), the reason reported, a given fmax that cuts peaks
 * off said so, and SSI's lags reaching the lowest mode — by decimation, or in two bands.
 */
describe('the band from the data', () => {
  it('reaches the top modes of a 30-storey frame (43 Hz at 400 Hz sampling)', async () => {
    // Prepare: 2 minutes are enough to see where the content ends
    const s = await tallFrame({ duration: 120 });
    // Act
    const scan = await scanBand(s.record.channels, 400);
    const band = bandFromScan(scan, 400, 0);
    // Assess
    // (2 minutes at 1024-sample segments leave the crowded top modes unresolved: the top seen is
    // 35–43 Hz, and the 1.25 margin keeps every mode inside)
    expectAtLeast(scan.top ?? 0, 35, 'highest coherent peak, Hz');
    expectAtLeast(band.fmax, 43.1, 'fmax');
    expectAtMost(band.fmax, 160, 'fmax');
    expect(band).toMatchObject({ chosen: 'auto', decimate: 1 });
    expect(band.reason).toMatch(/coherent peaks up to \d\d\.\d\d Hz/);
  });

  it('decimates a slow structure so that SSI reaches its 0.147 Hz fundamental on defaults', async () => {
    // Prepare: 12-storey tower, 0.147–2.3 Hz, 6 sensors at 100 Hz, 20 minutes
    const s = await slowTower({ duration: 1200 });
    // Act
    const result = await analyzeRecord(s.record.channels, 100, { method: 'ssi' });
    // Assess
    expectAtMost(result.band.fmax, 5, 'fmax, Hz');
    expectAtLeast(result.band.decimate, 4, 'decimation');
    const f1 = s.truth[0]?.frequency ?? 0;
    const found = result.modes.find((m) => Math.abs(m.frequency / f1 - 1) < 0.01);
    expect(found, `modes ${result.modes.map((m) => m.frequency.toFixed(3)).join(', ')}`).toBeDefined();
    expectAtLeast((2 * Number(result.parameters.br)) / result.fs, 0.9 / f1, 'lags, s');
    expect(result.diagnostics.map((d) => d.code)).not.toContain('SSI_LAGS_SHORT');
    expect(result.diagnostics.find((d) => d.code === 'BAND_CHOSEN')?.message).toMatch(/from the data/);
  });

  it('runs SSI in two bands when the capped lags cannot reach the lowest mode at the band’s rate', async () => {
    // Prepare: the same tower, all 12 storeys, with fmax given as 20 Hz (no decimation)
    const model = frameModel(12, 0.147, 0.015, 0.015);
    const record = await simulateResponse(model, { fs: 100, duration: 600, seed: 5, noiseFraction: 0.05 });
    // Act
    const result = await analyzeRecord(record.channels, 100, { method: 'ssi', fmax: 20 });
    // Assess
    const split = result.diagnostics.find((d) => d.code === 'SSI_SPLIT_BAND');
    expect(split?.message).toMatch(/two bands/);
    const found = score(result.modes, record.modes.slice(0, 6));
    expect(found.missing, `modes ${result.modes.map((m) => m.frequency.toFixed(3)).join(', ')}`).toEqual([]);
    // Au's law: cv(f) of the 0.147 Hz mode from 10 minutes (88 cycles, ζ 1.5 %) is 0.7 %
    expectClose(found.meanFrequencyErrorPct, 0, 1.5, 'mean frequency error % of the six lowest');
  });

  it('says when a given fmax cuts coherent peaks off', async () => {
    // Prepare: modes up to 15.8 Hz
    const s = await windFrame({ duration: 300 });
    // Act
    const result = await analyzeRecord(s.record.channels, 100, { method: 'fdd', fmax: 10 });
    // Assess
    const cut = result.diagnostics.find((d) => d.code === 'BAND_CUT');
    expect(cut?.severity).toBe('warning');
    expect(cut?.message).toMatch(/above fmax = 10 Hz \(\d+, up to 1[45]\.\d\d Hz\)/);
    expect(result.band).toMatchObject({ fmax: 10, chosen: 'user' });
  });
});
