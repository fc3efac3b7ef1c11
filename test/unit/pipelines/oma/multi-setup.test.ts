import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import { tenantBlobs, tenantRecords, ValidationError } from '../../../../lib/core/ports/index.js';
import { mac } from '../../../../lib/oma/index.js';
import { AnalysisService } from '../../../../lib/pipelines/oma/analysis-service.js';
import { AnalysisStore } from '../../../../lib/pipelines/oma/analysis-store.js';
import { omaStatusListener } from '../../../../lib/pipelines/oma/listener.js';
import { omaPipeline } from '../../../../lib/pipelines/oma/pipeline.js';
import { ResultFileSchema } from '../../../../lib/pipelines/oma/result-summary.js';
import {
  type AnalysisRecord,
  isFinished,
  MultiSetupParametersSchema,
} from '../../../../lib/pipelines/oma/schemas.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { eventually } from '../../../support/wait.js';
import { multiSetupMeasurement } from './fixtures.js';

/**
 * The MULTI_SETUP analysis type: parameters, the checks at create, and a whole run in one process
 * (embedded backend): three setups of a 12-storey frame, each uploaded and preprocessed as a
 * PREPROCESSING analysis, merged by one MULTI_SETUP analysis.
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

async function runToEnd(structure: string, id: string): Promise<AnalysisRecord> {
  await service.run(caller, structure, id);
  return eventually(
    async () => {
      const record = await service.get(caller, structure, id);
      return isFinished(record.status) ? record : undefined;
    },
    `analysis ${id} to end`,
    30_000,
  );
}

async function preprocessed(structure: string, j: number): Promise<AnalysisRecord> {
  const created = await service.create(caller, structure, {
    type: 'PREPROCESSING',
    analysis_id: `setup-${j + 1}`,
    parameters: { fmax: 20 },
  });
  await tenantBlobs(backend.blobs, 'tenant-a').put(
    created.csv_key,
    (await multiSetupMeasurement()).csvs[j] ?? '',
  );
  return runToEnd(structure, created.analysis_id);
}

const setupsParam = (refs: (string | number)[] = ['storey6', 'storey12']) =>
  [0, 1, 2].map((j) => ({ analysis_id: `setup-${j + 1}`, reference_channels: refs }));

describe('MULTI_SETUP parameters', () => {
  it('fill in SSI, PoSER and uncertainty by default', () => {
    const p = MultiSetupParametersSchema.parse({ setups: setupsParam() });
    expect(p).toMatchObject({
      method: 'ssi',
      merge: 'poser',
      decimate: 'auto',
      detrend: 'none',
      uncertainty: true,
    });
  });

  it('refuse one setup, a setup twice, unequal references and PreGER without SSI', () => {
    const messages = (input: unknown) =>
      MultiSetupParametersSchema.safeParse(input).error?.issues.map((i) => i.message) ?? [];
    expect(messages({ setups: setupsParam().slice(0, 1) })).toEqual([
      'a MULTI_SETUP analysis needs at least 2 setups',
    ]);
    expect(messages({ setups: [setupsParam()[0], setupsParam()[0]] })).toContain(
      'each setup must be a different analysis',
    );
    expect(
      messages({
        setups: [
          { analysis_id: 'a', reference_channels: ['r1', 'r2'] },
          { analysis_id: 'b', reference_channels: ['r1'] },
        ],
      }),
    ).toEqual([
      'every setup must declare the same number of reference_channels (the same sensors, in the same order)',
    ]);
    expect(messages({ setups: setupsParam(), method: 'efdd', merge: 'preger' })).toEqual([
      "merge 'preger' merges SSI's correlations: use it with method 'ssi'",
    ]);
    expect(messages({ setups: setupsParam().map((s) => ({ ...s, reference_channels: [] })) })).toContain(
      'reference_channels must name at least one channel that every setup shares',
    );
  });
});

describe('MULTI_SETUP analyses', () => {
  it('refuse at create, naming every problem, setups that are missing, not datasets or lack the channels', async () => {
    await preprocessed('checks', 0);
    await service.create(caller, 'checks', { type: 'SSI', analysis_id: 'an-ssi' });
    const attempt = service.create(caller, 'checks', {
      type: 'MULTI_SETUP',
      parameters: {
        setups: [
          { analysis_id: 'setup-1', reference_channels: ['storey6', 'storey99'] },
          { analysis_id: 'an-ssi', reference_channels: [0, 1] },
          { analysis_id: 'nowhere', reference_channels: [0, 1] },
        ],
      },
    });
    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(attempt).rejects.toThrow(
      /setups\[0\] \(analysis 'setup-1'\) has no channel 'storey99' \(its channels: storey6, storey12, storey1, storey2, storey3, storey4\)/,
    );
    await expect(attempt).rejects.toThrow(/setups\[1\] \(analysis 'an-ssi'\) is a SSI analysis/);
    await expect(attempt).rejects.toThrow(
      /setups\[2\] \(analysis 'nowhere'\) is not an analysis of structure 'checks'/,
    );
    expect((await service.list(caller, 'checks')).items.map((r) => r.type).sort()).toEqual([
      'PREPROCESSING',
      'SSI',
    ]);
  });

  it('merge three preprocessed setups into modes over all 12 DOFs, stored with their uncertainty', async () => {
    // Prepare: three PREPROCESSING analyses, one per setup.
    for (const j of [0, 1, 2]) expect((await preprocessed('deck', j)).status).toBe('DONE');
    // Act
    const created = await service.create(caller, 'deck', {
      type: 'MULTI_SETUP',
      parameters: { setups: setupsParam(), fmax: 20, order_max: 40 },
    });
    const done = await runToEnd('deck', created.analysis_id);
    // Assess
    expect(done.status, JSON.stringify(done.error)).toBe('DONE');
    const answer = await service.results(caller, 'deck', done.analysis_id);
    const result = ResultFileSchema.parse(answer.result);
    expect(result.channels).toEqual([
      'storey6',
      'storey12',
      ...['1', '2', '3', '4'].map((s) => `setup-1/storey${s}`),
      ...['5', '7', '8', '9'].map((s) => `setup-2/storey${s}`),
      'setup-3/storey10',
      'setup-3/storey11',
    ]);
    for (const truth of (await multiSetupMeasurement()).modes) {
      const m = result.modes.find((x) => Math.abs(x.frequency / truth.frequency - 1) < 0.01);
      expect(m, `the ${truth.frequency.toFixed(2)} Hz mode`).toBeDefined();
      const shape = Float64Array.from(m?.shape ?? [], (v) => v ?? Number.NaN);
      expect(mac({ re: truth.shape }, { re: shape })).toBeGreaterThan(0.99);
      expect(m?.uncertainty?.frequency_std).toBeGreaterThan(0);
      expect(m?.setups?.map((s) => s.setup)).toEqual(['setup-1', 'setup-2', 'setup-3']);
    }
    expect(done.summary?.modes[0]?.frequency_std).toBeGreaterThan(0);
    const stored = await new AnalysisStore((t) => tenantRecords(backend.records, t)).getResult(
      'tenant-a',
      'deck',
      done.result_id ?? '',
    );
    expect(stored).toMatchObject({ type: 'MULTI_SETUP', multi_setup: { merge: 'poser' } });
    const storedModes = (stored?.modes ?? []) as { setups?: unknown[]; uncertainty?: unknown }[];
    expect(storedModes[0]?.setups).toHaveLength(3);
    expect(storedModes[0]?.uncertainty).toMatchObject({ method: 'perturbation' });
  });

  it('runs PreGER the same way, and ends ERROR naming the setup whose dataset is gone', async () => {
    const preger = await service.create(caller, 'deck', {
      type: 'MULTI_SETUP',
      parameters: { setups: setupsParam(), merge: 'preger', fmax: 20, order_max: 40 },
    });
    const done = await runToEnd('deck', preger.analysis_id);
    expect(done.status, JSON.stringify(done.error)).toBe('DONE');
    const result = ResultFileSchema.parse((await service.results(caller, 'deck', done.analysis_id)).result);
    expect(result.modes.length).toBeGreaterThanOrEqual(5);
    // The dataset of setup-2 disappears (expired): the next run says which setup to re-run.
    const setup2 = await service.get(caller, 'deck', 'setup-2');
    await tenantBlobs(backend.blobs, 'tenant-a').delete(setup2.dataset_key ?? '');
    const failed = await runToEnd('deck', preger.analysis_id);
    expect(failed.status).toBe('ERROR');
    expect(failed.error?.message).toMatch(
      /The dataset of setup 'setup-2' \(PREPROCESSING analysis 'setup-2'\) is not in storage: run that analysis to DONE, then this one again\./,
    );
  });

  it('has no CSV of its own', async () => {
    const created = await service.create(caller, 'deck', {
      type: 'MULTI_SETUP',
      parameters: { setups: setupsParam() },
    });
    await expect(service.uploadUrl(caller, 'deck', created.analysis_id)).rejects.toThrow(
      /MULTI_SETUP analysis, which has no CSV of its own/,
    );
  });
});
