import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import { tenantBlobs, tenantRecords } from '../../../../lib/core/ports/index.js';
import { applySensorFaults, simulateResponse, writeCsv } from '../../../../lib/oma/index.js';
import { AnalysisService } from '../../../../lib/pipelines/oma/analysis-service.js';
import { AnalysisStore } from '../../../../lib/pipelines/oma/analysis-store.js';
import { omaStatusListener } from '../../../../lib/pipelines/oma/listener.js';
import { omaPipeline } from '../../../../lib/pipelines/oma/pipeline.js';
import { ResultFileSchema } from '../../../../lib/pipelines/oma/result-summary.js';
import { type AnalysisRecord, isFinished } from '../../../../lib/pipelines/oma/schemas.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { frameModel } from '../../../oma/support/scenarios.js';
import { eventually } from '../../../support/wait.js';
import { frameMeasurement, frequencyErrors, matchModes, noiseCsv } from './fixtures.js';

/**
 * The oma pipeline in one process (embedded backend, workers and the status listener running):
 * bad input ends an analysis ERROR with a message that names the problem, and the service goes on.
 */
const caller: Caller = { tenantId: 'tenant-a', userId: 'alice' };
const backend = createMemoryBackend();
let runtime: Runtime;
let service: AnalysisService;

beforeAll(async () => {
  runtime = await Runtime.create({
    pipelines: [omaPipeline],
    backend,
    listeners: [omaStatusListener],
    pool: { waitTimeMs: 50 },
  });
  runtime.start();
  service = new AnalysisService({ jobs: runtime.jobs, backend: runtime.backend });
});

afterAll(async () => {
  await runtime.stop();
});

/** Creates an analysis, uploads `csv` (if any), runs it and waits for the end of the run. */
async function analyse(
  structure: string,
  type: 'PREPROCESSING' | 'FDD' | 'SSI',
  csv?: string | Buffer,
  parameters: Record<string, unknown> = {},
): Promise<AnalysisRecord> {
  const created = await service.create(caller, structure, { type, parameters });
  if (csv !== undefined) await tenantBlobs(backend.blobs, caller.tenantId).put(created.csv_key, csv);
  await service.run(caller, structure, created.analysis_id);
  return eventually(
    async () => {
      const record = await service.get(caller, structure, created.analysis_id);
      return isFinished(record.status) ? record : undefined;
    },
    `the ${type} analysis to end`,
    20_000,
  );
}

const replaceLine = (csv: string, line: number, text: string): string => {
  const lines = csv.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
};

describe('OMA stages on bad input', () => {
  it('a ragged row ends ERROR naming the line and the missing column', async () => {
    const csv = replaceLine(noiseCsv(400), 40, '0.3800,0.1,0.2');
    const record = await analyse('bad-1', 'PREPROCESSING', csv);
    expect(record.status).toBe('ERROR');
    expect(record.error).toEqual({
      code: 'CSV_FORMAT',
      message: 'The measurement CSV is not valid: line 40, column 4: expected 4 columns, found 3',
    });
  });

  it('a non-numeric cell ends ERROR naming the line, the column and the text', async () => {
    const csv = replaceLine(noiseCsv(400), 32, '0.3000,0.1,abc,0.3');
    const record = await analyse('bad-1', 'FDD', csv);
    expect(record.status).toBe('ERROR');
    expect(record.error?.message).toBe(
      "The measurement CSV is not valid: line 32, column 3: 'abc' is not a number",
    );
  });

  it('too few samples ends ERROR saying how many there are and how many are needed', async () => {
    const short = await analyse('bad-1', 'PREPROCESSING', noiseCsv(100));
    const decimatedAway = await analyse('bad-1', 'PREPROCESSING', noiseCsv(600), { decimate: 4 });
    expect(short.error?.message).toBe(
      'The measurement CSV is not valid: the file has 100 data rows; at least 256 samples are needed',
    );
    expect(decimatedAway.error).toEqual({
      code: 'INSUFFICIENT_DATA',
      message:
        'Too few samples: 600 at 100 Hz leave 150 after decimating by 4; at least 256 are needed (record longer, or decimate less).',
    });
  });

  it('a missing dataset, a missing CSV or a missing sampling rate ends ERROR saying what to do', async () => {
    const noDataset = await analyse('never-preprocessed', 'SSI');
    const noCsv = await analyse('bad-2', 'PREPROCESSING');
    const noTime = await analyse('bad-2', 'PREPROCESSING', noiseCsv(400).replace(/^[^,\n]*,/gm, ''));
    expect(noDataset.error?.message).toBe(
      "Structure 'never-preprocessed' has no preprocessed dataset: upload a CSV or run a PREPROCESSING analysis first.",
    );
    expect(noCsv.error?.message).toMatch(
      /^No measurement CSV was uploaded for analysis '.+': ask for an upload URL/,
    );
    expect(noTime.error?.message).toBe(
      'The measurement CSV has no time column to derive the sampling rate from: create the analysis with parameters.fs (Hz).',
    );
  });

  it('an fmax above the Nyquist frequency ends ERROR naming the limit', async () => {
    const record = await analyse('bad-2', 'PREPROCESSING', noiseCsv(400), { fmax: 80 });
    expect(record.error?.message).toBe('fmax must be in (0, 50] Hz (the Nyquist frequency), got 80');
  });
});

describe('OMA stages on good input', () => {
  it('preprocess once, then SSI and FDD reuse the dataset and find the modes; results are stored', async () => {
    // Prepare: the service has just rejected several bad files (above); it must still work.
    const { csv, modes: truth } = await frameMeasurement();
    // Act
    const pre = await analyse('frame', 'PREPROCESSING', csv);
    const ssi = await analyse('frame', 'SSI');
    const fdd = await analyse('frame', 'FDD', undefined, { method: 'fdd' });
    // Assess: statuses, the reused dataset, the records.
    expect([pre.status, ssi.status, fdd.status], JSON.stringify([pre.error, ssi.error, fdd.error])).toEqual([
      'DONE',
      'DONE',
      'DONE',
    ]);
    expect(pre.dataset).toMatchObject({ fs: 100, channels: 5, samples: 12_000, decimate: 1 });
    expect(ssi.dataset_key).toBe(pre.dataset_key);
    expect(fdd.dataset_key).toBe(pre.dataset_key);
    expect((await service.structure(caller, 'frame')).dataset?.dataset_analysis_id).toBe(pre.analysis_id);
    for (const done of [ssi, fdd]) {
      const answer = await service.results(caller, 'frame', done.analysis_id);
      const result = ResultFileSchema.parse(answer.result);
      const errors = frequencyErrors(truth, matchModes(truth, result.modes));
      // 2 minutes of data: statistical errors of a few 0.1 %; 2 % still tells a mode from a miss.
      expect(Math.max(...errors), `${done.type} errors ${errors.join(', ')}`).toBeLessThan(0.02);
      expect(done.summary?.modes.length).toBe(result.modes.length);
      expect(result.channels).toEqual(['ch1', 'ch2', 'ch3', 'ch4', 'ch5']);
      const stored = await new AnalysisStore((t) => tenantRecords(backend.records, t)).getResult(
        'tenant-a',
        'frame',
        done.result_id ?? '',
      );
      expect(stored).toMatchObject({ analysis_id: done.analysis_id, result_key: done.result_key });
      expect(stored?.mac_matrix).toHaveLength(result.modes.length);
    }
    const ssiJson = (await service.results(caller, 'frame', ssi.analysis_id)).result as Record<
      string,
      unknown
    >;
    const fddJson = (await service.results(caller, 'frame', fdd.analysis_id)).result as Record<
      string,
      unknown
    >;
    expect(ssiJson.stabilization).toBeDefined();
    expect(fddJson.singularValues).toBeDefined();
  });

  it('store the band, the diagnostics and the channels left out with the results, and refuse an unknown channel', async () => {
    // Prepare
    const { csv } = await frameMeasurement();
    await analyse('frame-2', 'PREPROCESSING', csv);
    // Act
    const ssi = await analyse('frame-2', 'SSI', undefined, { exclude_channels: ['ch2'] });
    const unknown = await analyse('frame-2', 'FDD', undefined, { exclude_channels: ['ch9'] });
    // Assess: the result JSON, the results record and the analysis's summary
    expect(ssi.status, JSON.stringify(ssi.error)).toBe('DONE');
    const result = ResultFileSchema.parse((await service.results(caller, 'frame-2', ssi.analysis_id)).result);
    expect(result.excluded_channels).toEqual([1]);
    for (const m of result.modes) expect(m.shape[1]).toBeNull();
    expect(result.band).toMatchObject({ chosen: 'auto' });
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'CHANNEL_EXCLUDED', channel: 1, channel_name: 'ch2' }),
    );
    expect(result.modes[0]?.expected?.damping_cv).toBeGreaterThan(0);
    const stored = await new AnalysisStore((t) => tenantRecords(backend.records, t)).getResult(
      'tenant-a',
      'frame-2',
      ssi.result_id ?? '',
    );
    expect(stored).toMatchObject({ excluded_channels: [1], band: { chosen: 'auto' } });
    expect(stored?.diagnostics).toContainEqual(expect.objectContaining({ code: 'CHANNEL_EXCLUDED' }));
    expect(ssi.summary?.excluded_channels).toEqual([1]);
    expect(ssi.summary?.band?.chosen).toBe('auto');
    expect(unknown.status).toBe('ERROR');
    expect(unknown.error?.message).toMatch(/"ch9" is not a channel of the dataset .*0 ch1, 1 ch2/);
  });

  it('check the sensors when preprocessing and carry the findings into the results', async () => {
    // Prepare: ch2 stuck, ch4 clipped at ±1.5 RMS
    const record = await simulateResponse(frameModel(5, 3), {
      fs: 100,
      duration: 120,
      seed: 2,
      noiseFraction: 0.05,
    });
    applySensorFaults(record.channels, 100, [
      { kind: 'stuck', channel: 1, value: 0.5 },
      { kind: 'clip', channel: 3, level: 1.5 },
    ]);
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await writeCsv(sink, record.channels, { fs: 100 });
    // Act
    const pre = await analyse('faulty', 'PREPROCESSING', Buffer.concat(chunks));
    const ssi = await analyse('faulty', 'SSI');
    // Assess
    expect(pre.status, JSON.stringify(pre.error)).toBe('DONE');
    expect(pre.dataset?.band).toMatchObject({ chosen: 'auto' });
    expect(pre.dataset?.band?.reason).toMatch(/coherent peaks up to/);
    const found = (pre.dataset?.diagnostics ?? []).map((d) => `${d.code}@${d.channel}`);
    expect(found).toEqual(expect.arrayContaining(['CHANNEL_DEAD@1', 'CHANNEL_CLIPPED@3']));
    expect(ssi.status, JSON.stringify(ssi.error)).toBe('DONE');
    const result = ResultFileSchema.parse((await service.results(caller, 'faulty', ssi.analysis_id)).result);
    expect(result.excluded_channels).toEqual([1]);
    expect(result.diagnostics.map((d) => `${d.code}@${d.channel}`)).toEqual(
      expect.arrayContaining(['CHANNEL_DEAD@1', 'CHANNEL_CLIPPED@3']),
    );
    expect(result.warnings.join('\n')).toMatch(/clipped/);
    expect(result.band?.reason).toBe(pre.dataset?.band?.reason);
  });
});
