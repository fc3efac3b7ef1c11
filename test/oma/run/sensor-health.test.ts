import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../lib/oma/modal/diagnostics.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { preprocessRecord } from '../../../lib/oma/run/preprocess.js';
import { checkSensors } from '../../../lib/oma/run/sensor-health.js';
import { applySensorFaults, type SensorFault } from '../../../lib/oma/synthetic/faults.js';
import { simulateResponse } from '../../../lib/oma/synthetic/synthetic.js';
import { faultyFrame, frameModel, slowTower, tower, windFrame } from '../support/scenarios.js';
import { score } from '../support/score.js';

/**
 * The sensor check: each fault of a field record found on its channel with its evidence, none on
 * healthy channels or clean records (coloured and correlated excitation, a slow tower, a 3D
 * tower), dead channels left out of the analysis with NaN shapes.
 */
const codesOf = (diagnostics: readonly Diagnostic[], channel: number): string[] =>
  diagnostics.filter((d) => d.channel === channel).map((d) => d.code);

describe('the sensor check', () => {
  it('finds each fault on its channel and nothing on the healthy ones', async () => {
    // Prepare: a 12-storey frame, 5 minutes, one fault per channel 0..8
    const record = await simulateResponse(frameModel(12, 1), {
      fs: 100,
      duration: 300,
      seed: 3,
      noiseFraction: 0.05,
    });
    const faults: SensorFault[] = [
      { kind: 'stuck', channel: 0, value: 0.2 },
      { kind: 'clip', channel: 1, level: 1.5 },
      { kind: 'spikes', channel: 2, count: 40, amplitude: 40 },
      { kind: 'dropouts', channel: 3, count: 5, duration: 2 },
      { kind: 'step', channel: 4, at: 0.6, size: 2 },
      { kind: 'noise', channel: 5, level: 5 },
      { kind: 'gain', channel: 6, at: 0.5, factor: 3 },
    ];
    applySensorFaults(record.channels, 100, faults, 3);
    (record.channels[7] as Float64Array).forEach((v, i, x) => {
      x[i] = v * 100;
    });
    const names = record.channels.map((_, c) => `acc${c}`);
    // Act
    const check = await checkSensors(record.channels, 100, names);
    // Assess
    const expected: [number, string][] = [
      [0, 'CHANNEL_DEAD'],
      [1, 'CHANNEL_CLIPPED'],
      [2, 'CHANNEL_SPIKES'],
      [3, 'CHANNEL_DROPOUTS'],
      [4, 'CHANNEL_STEP'],
      [5, 'CHANNEL_NOISY'],
      [6, 'NONSTATIONARY'],
      [7, 'CHANNEL_LEVEL'],
    ];
    for (const [channel, code] of expected)
      expect(codesOf(check.diagnostics, channel), `channel ${channel}`).toEqual([code]);
    for (let c = 8; c < 12; c++) expect(codesOf(check.diagnostics, c), `healthy channel ${c}`).toEqual([]);
    expect(check.dead).toEqual([0]);
    const clipped = check.diagnostics.find((d) => d.code === 'CHANNEL_CLIPPED');
    expect(clipped).toMatchObject({ channel: 1, channel_name: 'acc1', severity: 'warning' });
    expect(Number(clipped?.evidence?.share_at_rails)).toBeCloseTo(0.134, 1);
    expect(check.diagnostics.find((d) => d.code === 'CHANNEL_SPIKES')?.evidence?.spikes).toBe(40);
    for (const d of check.diagnostics) expect(d.fix, d.code).toMatch(/\w/);
  });

  it('finds nothing in clean records: wind-like forces, a 0.15 Hz tower, a 3D tower, quantized samples', async () => {
    // Prepare
    const records = [
      (await windFrame({ duration: 300 })).record,
      (await slowTower({ duration: 600 })).record,
      (await tower({ duration: 300 })).record,
    ];
    const quantized = (await windFrame({ duration: 300, seed: 2 })).record;
    for (const x of quantized.channels) {
      const step = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length) / 50;
      x.forEach((v, i) => {
        x[i] = Math.round(v / step) * step;
      });
    }
    records.push(quantized);
    for (const record of records) {
      // Act
      const check = await checkSensors(record.channels, record.fs);
      // Assess
      expect(check.diagnostics.filter((d) => d.severity === 'warning')).toEqual([]);
    }
  });

  it('leaves dead channels out of the analysis (NaN in shapes) and still finds every mode', async () => {
    // Prepare: the three faults — stuck, clipped at ±1.5 RMS, 40 spikes of 40 RMS
    const s = await faultyFrame({ duration: 600 });
    // Act
    const result = await analyzeRecord(s.record.channels, 100, { method: 'ssi', fmax: 20 });
    // Assess
    expect(result.excluded_channels).toEqual([2]);
    for (const m of result.modes) expect(Number.isNaN(m.shape[2])).toBe(true);
    const codes = result.diagnostics.map((d) => `${d.code}@${d.channel}`);
    expect(codes).toEqual(
      expect.arrayContaining(['CHANNEL_DEAD@2', 'CHANNEL_CLIPPED@5', 'CHANNEL_SPIKES@6']),
    );
    const found = score(
      result.modes,
      s.truth.filter((m) => m.frequency <= 20),
    );
    expect(found.found, `missing ${found.missing.join(', ')}`).toBe(found.expected);
  });

  it('runs in preprocessing when asked, on the raw channels', async () => {
    const s = await faultyFrame({ duration: 120 });
    const pre = await preprocessRecord(s.record.channels, 100, { decimate: 2, checkSensors: true });
    expect(pre.sensors?.dead).toEqual([2]);
    expect(pre.sensors?.diagnostics.map((d) => d.code)).toContain('CHANNEL_CLIPPED');
  });
});
