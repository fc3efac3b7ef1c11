import { describe, expect, it } from 'vitest';
import { OmaCancelledError } from '../../lib/oma/errors.js';
import { analyzeRecord } from '../../lib/oma/run/analyze.js';
import { modalModelFromMatrices, shearFrame, simulateResponse } from '../../lib/oma/synthetic/synthetic.js';

/** A record heavy enough that FDD and SSI run for seconds. */
async function heavyRecord(): Promise<Float64Array[]> {
  const n = 12;
  const { mass, stiffness } = shearFrame(Array(n).fill(1000), Array(n).fill(3e6));
  const model = modalModelFromMatrices(mass, stiffness, n, 0.02);
  return (await simulateResponse(model, { fs: 100, duration: 1800, seed: 5 })).channels;
}

const data = await heavyRecord();

describe('cancellation and progress', () => {
  for (const method of ['fdd', 'ssi'] as const) {
    it(`an abort stops ${method.toUpperCase()} promptly with OmaCancelledError carrying the reason`, async () => {
      // Prepare
      // Latency counts from the scheduled moment, so it includes any synchronous stretch the
      // timer had to wait for.
      const controller = new AbortController();
      let abortedAt = 0;
      const scheduled = performance.now() + 150;
      setTimeout(() => {
        abortedAt = performance.now();
        controller.abort('user pressed stop');
      }, 150);
      // Act
      const error = await analyzeRecord(
        data,
        100,
        { method, fmax: 40, nperseg: 4096, br: 60, orderMax: 120 },
        { signal: controller.signal },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      const latency = performance.now() - scheduled;
      // Assess
      expect(error).toBeInstanceOf(OmaCancelledError);
      expect(error).toMatchObject({
        code: 'CANCELLED',
        reason: 'user pressed stop',
        message: 'Cancelled: user pressed stop',
      });
      expect(abortedAt).toBeGreaterThan(0);
      expect(latency, `abort latency ${latency.toFixed(0)} ms`).toBeLessThan(1000);
    });
  }

  it('an already-aborted signal fails at once, with the reason itself when that is an Error', async () => {
    // Prepare: a framework aborts with its own cancellation error and expects it back.
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    // Act
    const error = await analyzeRecord(data, 100, { method: 'efdd' }, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess
    expect(error).toBe(reason);
  });

  it('reports monotonic progress from 0 to 1 with messages', async () => {
    // Prepare
    const seen: { fraction: number; message: string }[] = [];
    // Act
    await analyzeRecord(
      data.map((c) => c.subarray(0, 60000)),
      100,
      { method: 'ssi', fmax: 40, br: 30, orderMax: 60 },
      {
        onProgress: (fraction, message) => seen.push({ fraction, message }),
      },
    );
    // Assess
    expect(seen.length).toBeGreaterThan(5);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]?.fraction, `progress step ${i}`).toBeGreaterThanOrEqual(seen[i - 1]?.fraction ?? 0);
    }
    expect(seen[seen.length - 1]?.fraction).toBe(1);
    expect(seen.some((s) => s.message.includes('model order'))).toBe(true);
  });
});
