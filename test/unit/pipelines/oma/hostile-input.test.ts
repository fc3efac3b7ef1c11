import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { HttpApi } from '../../../../lib/core/api/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import { CsvFormatError, readCsv } from '../../../../lib/oma/index.js';
import { toStageError } from '../../../../lib/pipelines/oma/engine-errors.js';
import { omaPipeline } from '../../../../lib/pipelines/oma/pipeline.js';
import { analysisRoutes } from '../../../../lib/pipelines/oma/routes.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

// Issue 10: every analysis parameter is checked when the analysis is created, and a CSV error
// never carries the file's binary into a message.

const alice: Caller = { tenantId: 'tenant-a', userId: 'alice' };

async function createWith(parameters: Record<string, unknown>, type = 'PREPROCESSING') {
  const backend = createMemoryBackend();
  const runtime = await Runtime.create({ pipelines: [omaPipeline], backend });
  const http = new HttpApi(analysisRoutes({ jobs: runtime.jobs, backend: runtime.backend }));
  const response = await http.handle({
    method: 'POST',
    path: '/structures/bridge-1/analyses',
    query: {},
    caller: alice,
    body: JSON.stringify({ type, parameters }),
  });
  const stored = await backend.records.listRecords('tenant-a', 'oma/tenant-a/analyses/bridge-1');
  await runtime.stop();
  return {
    status: response.status,
    body: response.body as { error?: { message: string } },
    stored: stored.items.length,
  };
}

describe('OMA parameters checked at create', () => {
  it.each([
    [
      { filter: { type: 'bandpass', cutoff: [20, 5] } },
      'PREPROCESSING',
      'filter.cutoff: the band-pass edges must increase',
    ],
    [
      { filter: { type: 'bandpass', cutoff: [5, 5] } },
      'PREPROCESSING',
      'filter.cutoff: the band-pass edges must increase',
    ],
    [{ fs: 100, fmax: 80 }, 'FDD', 'fmax: fmax 80 Hz is above the Nyquist frequency fs/2 = 50 Hz'],
    [
      { fs: 100, decimate: 4, fmax: 20 },
      'SSI',
      'decimate: decimating by 4 leaves a Nyquist frequency of 12.5 Hz',
    ],
    [
      { fs: 100, decimate: 2, filter: { type: 'lowpass', cutoff: 30 } },
      'PREPROCESSING',
      'filter.cutoff: cutoff 30 Hz must be below the Nyquist frequency after decimating by 2 (25 Hz)',
    ],
    [{ fs: 100, fmin: 30 }, 'SSI', 'fmin: fmin must be below fmax (by default min(0.4·fs, 25) = 25 Hz)'],
    [{ fmin: 10, fmax: 5 }, 'FDD', 'fmin: fmin must be below fmax'],
    [{ overlap: 0.95 }, 'FDD', 'overlap'],
    [{ order_step: 0 }, 'SSI', 'order_step'],
  ])('%j (%s) is refused with a 400 naming it, and nothing is stored', async (parameters, type, message) => {
    const created = await createWith(parameters, type);
    expect(created.status).toBe(400);
    expect(created.body.error?.message).toContain(message);
    expect(created.stored).toBe(0);
  });

  it('accepts what the engine can run, leaving checks that need the CSV’s own rate to the run', async () => {
    for (const parameters of [
      { filter: { type: 'bandpass', cutoff: [0.5, 20] } },
      { fs: 100, filter: { type: 'lowpass', cutoff: 30 } },
      { filter: { type: 'lowpass', cutoff: 300 } }, // no fs: the CSV's rate decides at run
    ]) {
      expect((await createWith(parameters)).status, JSON.stringify(parameters)).toBe(201);
    }
  });
});

describe('CSV errors of a binary file', () => {
  it('show no control or undecodable character and stay short', async () => {
    // Prepare: rows whose second cell is 200 bytes of binary (no delimiter or newline in it).
    // Every byte value but the delimiter, newlines and the quote, in a scrambled order.
    const binary = (): Buffer =>
      Buffer.from(
        Array.from({ length: 200 }, (_, i) => (i * 73 + 11) % 256).map((b) =>
          b === 0x0a || b === 0x0d || b === 0x2c || b === 0x27 ? 0x00 : b,
        ),
      );
    const rows = Array.from({ length: 300 }, (_, i) => `${i / 100},${i % 7}`).join('\n');
    // Act: one in the sampled head of the file, one past it (read while streaming).
    const inHead = await readCsv(Readable.from([Buffer.from('time,a\n0,1\n0.01,'), binary()])).catch(
      (e: unknown) => e,
    );
    const later = await readCsv(Readable.from([Buffer.from(`time,a\n${rows}\n3.00,`), binary()])).catch(
      (e: unknown) => e,
    );
    // Assess
    for (const e of [inHead, later]) {
      expect(e).toBeInstanceOf(CsvFormatError);
      const message = (toStageError(e, { csvSubject: 'The measurement CSV' }) as Error).message;
      expect([...message].filter((ch) => ch.charCodeAt(0) < 0x20 || ch === '\ufffd')).toEqual([]);
      expect(message).toMatch(/^The measurement CSV is not valid: line \d+, column 2: '.+' is not a number$/);
      expect(message.length).toBeLessThan(400);
    }
  });
});
