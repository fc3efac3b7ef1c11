import { describe, expect, it } from 'vitest';
import { mac } from '../../../lib/oma/modal/mac.js';
import { analyzeRecord } from '../../../lib/oma/run/analyze.js';
import { simulateResponse, trueModes } from '../../../lib/oma/synthetic/synthetic.js';
import { expectAtLeast, expectAtMost } from '../support/assert-close.js';
import { closeModes, expectModes, SSI_CRITERIA, uniformFrame } from '../support/match.js';

/**
 * Accuracy where the easy cases hide the hard ones: sensor subsets whose mode shapes are not
 * orthogonal at the sensors (two of them alike, MAC 0.98: spatial aliasing), one or two sensors,
 * close pairs half a half-power bandwidth apart, a pair closer than the frequency resolution, a
 * fundamental far below the band's default lower edge, several seeds. Records of 30 minutes
 * (1 hour for the 0.3 Hz fundamental), 5 % measurement noise, the engine's defaults.
 */

describe('a 24-storey frame seen by 6 sensors (10.78 and 12.63 Hz alike at the sensors)', async () => {
  const sensors = [3, 7, 11, 15, 19, 23];
  const model = uniformFrame(24, 1, 0.01, 0.02);
  const record = await simulateResponse(model, {
    fs: 100,
    duration: 1800,
    seed: 1,
    noiseFraction: 0.05,
    channels: sensors,
  });
  const truth = record.modes.filter((m) => m.frequency <= 15);
  const aliased = trueModes(model, sensors).slice(5, 7);

  it('has two modes alike at the sensors (MAC ≥ 0.97: spatial aliasing)', () => {
    const [a, b] = aliased;
    if (a === undefined || b === undefined) throw new Error('modes missing');
    expectAtLeast(mac({ re: a.shape }, { re: b.shape }), 0.97, 'MAC of the 10.78 and 12.63 Hz shapes');
  });

  it('SSI finds all 8 modes, the aliased one too (the shadow rule deleted it)', async () => {
    const result = await analyzeRecord(record.channels, 100, { method: 'ssi', fmax: 15 });
    expectModes(result.modes, truth, SSI_CRITERIA, 'SSI');
  });

  it('EFDD keeps the aliased pair apart (it merged them into 11.1 Hz at 11 % damping)', async () => {
    const result = await analyzeRecord(record.channels, 100, { method: 'efdd', fmax: 15 });
    expectModes(result.modes, truth, { frequencyPct: 0.3, dampingPct: 25 }, 'EFDD');
    expect(result.modes.filter((m) => m.frequency > 10.9 && m.frequency < 12.5)).toEqual([]);
  });

  it('FDD finds all 8 and nothing else', async () => {
    const result = await analyzeRecord(record.channels, 100, { method: 'fdd', fmax: 15 });
    expectModes(result.modes, truth, { frequencyPct: 0.5, minMac: 0.95 }, 'FDD');
  });
});

describe('the close-mode structure seen by 4 of its 6 DOFs', async () => {
  const record = await simulateResponse(closeModes(), {
    fs: 200,
    duration: 1800,
    seed: 1,
    noiseFraction: 0.05,
    channels: [0, 2, 3, 5],
  });
  const truth = record.modes.filter((m) => m.frequency <= 20);

  for (const [method, criteria] of [
    ['ssi', SSI_CRITERIA],
    ['efdd', { frequencyPct: 0.3, dampingPct: 25 }],
    ['fdd', { frequencyPct: 0.5 }],
  ] as const) {
    it(`${method.toUpperCase()} finds all 6 modes and nothing else (FDD had a spurious 6.66 Hz, EFDD lost 4.2 Hz)`, async () => {
      const result = await analyzeRecord(record.channels, 200, { method, fmax: 20 });
      expectModes(result.modes, truth, criteria, method);
    });
  }
});

describe('the 5-storey frame seen by one or two sensors', async () => {
  const model = uniformFrame(5, 3, 0.01, 0.025);
  for (const sensors of [[4], [2, 4]]) {
    it(`EFDD estimates every damping from ${sensors.length} sensor(s) (all were NaN: the bell was the whole spectrum)`, async () => {
      const record = await simulateResponse(model, {
        fs: 200,
        duration: 1800,
        seed: 1,
        noiseFraction: 0.05,
        channels: sensors,
      });
      const truth = record.modes.filter((m) => m.frequency <= 20);
      const result = await analyzeRecord(record.channels, 200, { method: 'efdd', fmax: 20 });
      expectModes(
        result.modes,
        truth,
        { frequencyPct: 0.3, dampingPct: 25 },
        `EFDD, ${sensors.length} sensor(s)`,
      );
    });
  }
});

describe('close pairs half a half-power bandwidth apart', async () => {
  // 7.00/7.14 Hz at ζ = 2 % and 7.00/7.035 Hz at ζ = 0.5 %: one merged hump in SV1
  for (const [f2, zeta] of [
    [7.14, 0.02],
    [7.035, 0.005],
  ] as const) {
    for (const seed of [1, 2]) {
      it(`FDD and EFDD find both of 7.00/${f2} Hz at ζ ${100 * zeta} % (seed ${seed}); SSI too`, async () => {
        const record = await simulateResponse(closeModes(f2, zeta), {
          fs: 200,
          duration: 1800,
          seed,
          noiseFraction: 0.05,
        });
        const truth = record.modes.filter((m) => m.frequency <= 20);
        const fdd = await analyzeRecord(record.channels, 200, { method: 'fdd', fmax: 20 });
        const efdd = await analyzeRecord(record.channels, 200, { method: 'efdd', fmax: 20 });
        // (FDD shapes of modes half a bandwidth apart are partly mixed: MAC 0.83–0.99 measured)
        expectModes(fdd.modes, truth, { frequencyPct: 0.5, minMac: 0.8 }, 'FDD');
        expect(fdd.diagnostics.map((d) => d.code)).toContain('MODES_CLOSE');
        expectModes(efdd.modes, truth, { frequencyPct: 0.3, dampingPct: 25 }, 'EFDD');
        if (seed === 1) {
          const ssi = await analyzeRecord(record.channels, 200, { method: 'ssi', fmax: 20 });
          expectModes(ssi.modes, truth, SSI_CRITERIA, 'SSI');
        }
      });
    }
  }

  for (const seed of [1, 2, 3]) {
    it(`FDD loses neither of a pair closer than the resolution and warns about it (seed ${seed})`, async () => {
      // Prepare: 7.000/7.005 Hz, less than a line apart (df = 0.0061 Hz): the two leading
      // singular vectors rotate at random in the pair's plane
      const record = await simulateResponse(closeModes(7.005, 0.01), {
        fs: 200,
        duration: 1800,
        seed,
        noiseFraction: 0.05,
      });
      const truth = record.modes.filter((m) => m.frequency <= 20);
      // Act
      const result = await analyzeRecord(record.channels, 200, { method: 'fdd', fmax: 20 });
      // Assess: the other modes as usual; one or two modes at the pair, with a warning
      const near = result.modes.filter((m) => Math.abs(m.frequency - 7) < 0.1);
      const others = result.modes.filter((m) => Math.abs(m.frequency - 7) >= 0.1);
      expectModes(
        others,
        truth.filter((m) => Math.abs(m.frequency - 7) >= 0.1),
        { frequencyPct: 0.5 },
        'FDD',
      );
      expect(near.length).toBeGreaterThanOrEqual(1);
      for (const m of near)
        expectAtMost(Math.abs(m.frequency / 7.0025 - 1), 0.006, 'relative frequency error at the pair');
      expect(result.diagnostics.map((d) => d.code)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^MODES_(CLOSE|MERGED)$/)]),
      );
    });
  }
});

describe('a fundamental far below fmax/20', async () => {
  // 12-storey frame, f₁ = 0.30 Hz, 6 sensors, fs 100 Hz, one hour: a fixed 25 Hz band once gave
  // br = 40, 0.8 s of lags for a 3.3 s period
  const model = uniformFrame(12, 0.3, 0.015, 0.015);
  const record = await simulateResponse(model, {
    fs: 100,
    duration: 3600,
    seed: 5,
    noiseFraction: 0.05,
    channels: [1, 3, 5, 7, 9, 11],
  });
  const f1 = record.modes[0]?.frequency ?? 0;

  it.each([
    ['with the defaults', {}],
    ['with fmin 0 (no lower edge)', { fmin: 0 }],
  ])('SSI %s finds it: block rows from the lowest spectral peak', async (_how, extra) => {
    const result = await analyzeRecord(record.channels, 100, { method: 'ssi', ...extra });
    const found = result.modes.find((m) => Math.abs(m.frequency / f1 - 1) < 0.01);
    expect(found, `modes: ${result.modes.map((m) => m.frequency.toFixed(3)).join(', ')}`).toBeDefined();
    expectAtMost(Math.abs((found?.frequency ?? 0) / f1 - 1), 0.001, 'relative frequency error of f₁');
    // 2·br lags reach 0.9 of its period, at whatever rate the band from the data decimated to
    expectAtLeast((2 * Number(result.parameters.br)) / Number(result.parameters.fs), 0.9 / f1, 'lags, s');
    expect(result.parameters.lowestPeak).toBeCloseTo(f1, 2);
  });

  it('SSI warns when a given br cannot reach it', async () => {
    const result = await analyzeRecord(record.channels, 100, { method: 'ssi', br: 40 });
    const lags = result.diagnostics.find((d) => d.code === 'SSI_LAGS_SHORT');
    expect(lags?.message).toMatch(/lowest spectral peak \(0\.30\d Hz/);
    expect(lags?.fix).toMatch(/raise br/);
  });
});

describe('more seeds (30 minutes, 400 Hz, all sensors)', async () => {
  for (const seed of [2, 3]) {
    it(`SSI meets the criteria on the 5-storey frame and the close-mode structure, seed ${seed}`, async () => {
      for (const [name, model] of [
        ['frame', uniformFrame(5, 3, 0.01, 0.025)],
        ['close modes', closeModes()],
      ] as const) {
        const record = await simulateResponse(model, { fs: 400, duration: 1800, seed, noiseFraction: 0.05 });
        const truth = record.modes.filter((m) => m.frequency <= 20);
        const result = await analyzeRecord(record.channels, 400, { method: 'ssi', fmax: 20 });
        expectModes(result.modes, truth, SSI_CRITERIA, `SSI, ${name}, seed ${seed}`);
      }
    });
  }
});
