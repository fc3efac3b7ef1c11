import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { JobEvent, JobEventType, ServiceEvent } from '../../../../lib/core/ports/index.js';
import { silentLogger, tenantBlobs, tenantRecords } from '../../../../lib/core/ports/index.js';
import { AnalysisStore } from '../../../../lib/pipelines/oma/analysis-store.js';
import { csvKey, datasetKey, modesKey, resultKey } from '../../../../lib/pipelines/oma/keys.js';
import { omaStatusListener, projectJobEvent } from '../../../../lib/pipelines/oma/listener.js';
import type { AnalysisRecord, AnalysisType } from '../../../../lib/pipelines/oma/schemas.js';
import { jobEvent, jobRecord } from '../../../support/factories.js';

const TENANT = 'tenant-a';
const SID = 'bridge-1';

/** A memory backend, the analyses on it, and every status event published. */
function world() {
  const backend = createMemoryBackend();
  const published: ServiceEvent[] = [];
  backend.events.subscribeService((event) => {
    published.push(event);
  });
  const store = new AnalysisStore((t) => tenantRecords(backend.records, t));
  const ctx = { backend, logger: silentLogger };
  const blobs = tenantBlobs(backend.blobs, TENANT);
  const deliver = async (event: JobEvent): Promise<void> => {
    await projectJobEvent(event, ctx);
    await backend.events.flush();
  };
  const statuses = (): string[] => published.map((e) => String(e.detail.status));
  const analysis = async (id: string): Promise<AnalysisRecord | undefined> =>
    (await store.get(TENANT, SID, id))?.value;
  return { backend, blobs, store, published, deliver, statuses, analysis };
}

type World = ReturnType<typeof world>;

/** An analysis QUEUED for run `runId`, and the run's job with the params the stages produced. */
async function queuedRun(
  w: World,
  options: {
    type?: AnalysisType;
    params?: Record<string, unknown>;
    runId?: string;
    analysisId?: string;
  } = {},
) {
  const type = options.type ?? 'SSI';
  const analysisId = options.analysisId ?? randomUUID();
  const runId = options.runId ?? randomUUID();
  const at = new Date().toISOString();
  const existing = await w.store.get(TENANT, SID, analysisId);
  const record: AnalysisRecord = {
    structure_id: SID,
    analysis_id: analysisId,
    type,
    status: 'QUEUED',
    parameters: {},
    created_at: at,
    updated_at: at,
    csv_key: csvKey(TENANT, SID, analysisId),
    run_id: runId,
    run_number: 1,
    run_by: 'alice',
    history: [],
  };
  if (existing === undefined) await w.store.create(TENANT, record);
  else await w.store.replace(TENANT, record, existing.version);
  const job = jobRecord({
    job_id: runId,
    tenant_id: TENANT,
    pipeline: 'oma',
    params: { structure_id: SID, analysis_id: analysisId, type, ...options.params },
  });
  await w.backend.store.createJob(job);
  const event = (type: JobEventType, overrides: Partial<JobEvent> = {}): JobEvent =>
    jobEvent(job, { type, ...overrides });
  return { analysisId, runId, event };
}

describe('OMA status listener', () => {
  it('projects a run onto its analysis, publishing each change once', async () => {
    // Prepare
    const w = world();
    const { analysisId, event } = await queuedRun(w);
    // Act
    for (const type of ['job.created', 'stage.started', 'stage.started', 'job.done'] as const) {
      await w.deliver(event(type));
    }
    // Assess: job.created finds it QUEUED already; the second stage.started changes nothing.
    expect(w.statuses()).toEqual(['RUNNING', 'DONE']);
    const done = await w.analysis(analysisId);
    expect(done?.status).toBe('DONE');
    expect(done?.history.map((h) => h.status)).toEqual(['RUNNING', 'DONE']);
    expect(w.published[1]).toMatchObject({
      type: 'oma.analysis.status',
      tenant_id: TENANT,
      detail: {
        tenant_id: TENANT,
        user_id: 'alice',
        document_id: analysisId,
        run_type: 'SSI',
        status: 'DONE',
      },
    });
    expect(w.published[1]?.job_id).toBe(done?.run_id);
  });

  it('never moves an analysis back: events out of order and duplicates are ignored', async () => {
    // Prepare
    const w = world();
    const { analysisId, event } = await queuedRun(w);
    // Act: the terminal event overtakes the start, then both come again.
    await w.deliver(event('job.done'));
    await w.deliver(event('stage.started'));
    await w.deliver(event('job.created'));
    await w.deliver(event('job.done'));
    await w.deliver(event('job.failed', { data: { error: { code: 'X', message: 'late' } } }));
    // Assess
    expect(w.statuses()).toEqual(['DONE']);
    expect((await w.analysis(analysisId))?.status).toBe('DONE');
  });

  it('ignores the events of an older run of the analysis', async () => {
    // Prepare: run 1 is superseded by run 2.
    const w = world();
    const first = await queuedRun(w);
    const second = await queuedRun(w, { analysisId: first.analysisId });
    // Act
    await w.deliver(first.event('job.aborted'));
    await w.deliver(second.event('stage.started'));
    // Assess
    const record = await w.analysis(first.analysisId);
    expect(record?.run_id).toBe(second.runId);
    expect(record?.status).toBe('RUNNING');
    expect(w.statuses()).toEqual(['RUNNING']);
  });

  it('converges when events are delivered concurrently', async () => {
    // Prepare
    const w = world();
    const { analysisId, event } = await queuedRun(w);
    // Act
    await Promise.all([
      w.deliver(event('stage.started')),
      w.deliver(event('job.created')),
      w.deliver(event('job.done')),
      w.deliver(event('stage.started')),
    ]);
    // Assess
    expect((await w.analysis(analysisId))?.status).toBe('DONE');
    expect(w.statuses().at(-1)).toBe('DONE');
    expect(w.statuses().filter((s) => s === 'DONE')).toHaveLength(1);
  });

  it('ends ERROR with the error message, and deletes what the run wrote', async () => {
    // Prepare
    const w = world();
    const { analysisId, runId, event } = await queuedRun(w);
    await w.blobs.put(datasetKey(TENANT, SID, runId), 'partial');
    await w.blobs.put(resultKey(TENANT, SID, runId), '{}');
    // Act
    await w.deliver(
      event('job.failed', {
        data: {
          error: {
            code: 'CSV_FORMAT',
            message: 'The measurement CSV is not valid: line 7, column 2: empty cell',
          },
        },
      }),
    );
    // Assess
    const record = await w.analysis(analysisId);
    expect(record?.status).toBe('ERROR');
    expect(record?.error).toEqual({
      code: 'CSV_FORMAT',
      message: 'The measurement CSV is not valid: line 7, column 2: empty cell',
    });
    expect(w.published[0]?.detail.error).toBe(record?.error?.message);
    expect(await w.blobs.list(`oma/${TENANT}/${SID}/runs/${runId}/`)).toEqual([]);
  });

  it('ends ABORTED keeping no results: run outputs and the results record are removed', async () => {
    // Prepare: the run got as far as storing its results.
    const w = world();
    const { analysisId, runId, event } = await queuedRun(w);
    await w.blobs.put(resultKey(TENANT, SID, runId), '{}');
    await w.blobs.put(modesKey(TENANT, SID, runId), '{}');
    await w.store.putResult(TENANT, SID, runId, { modes: [] });
    const other = `oma/${TENANT}/${SID}/runs/${runId}x/result.json`;
    await w.blobs.put(other, '{}');
    // Act
    await w.deliver(event('stage.started'));
    await w.deliver(event('job.aborted', { data: { reason: 'aborted by alice' } }));
    // Assess
    expect((await w.analysis(analysisId))?.status).toBe('ABORTED');
    expect(w.statuses()).toEqual(['RUNNING', 'ABORTED']);
    expect(await w.blobs.list(`oma/${TENANT}/${SID}/runs/${runId}/`)).toEqual([]);
    expect(await w.store.getResult(TENANT, SID, runId)).toBeUndefined();
    expect(await w.blobs.head(other)).toBeDefined();
  });

  it('on DONE marks the analysis DONE with the ids and summary its run produced', async () => {
    // Prepare: what publish left in the job's params and in storage (it also wrote the results
    // record itself; the stage tests check that).
    const w = world();
    const runId = randomUUID();
    const modes = {
      result_id: runId,
      modes: [{ frequency: 3, damping: 0.01, shape: [1, 0.5] }],
      mac_matrix: [[1]],
    };
    await w.blobs.put(modesKey(TENANT, SID, runId), JSON.stringify(modes));
    const summary = { method: 'ssi', fs: 100, modes: [{ frequency: 3, damping: 0.01 }], warnings: [] };
    const { analysisId, event } = await queuedRun(w, {
      runId,
      params: {
        dataset_key: datasetKey(TENANT, SID, 'pre-run'),
        result_key: resultKey(TENANT, SID, runId),
        result_id: runId,
        modes_key: modesKey(TENANT, SID, runId),
        summary,
      },
    });
    // Act
    await w.deliver(event('job.done'));
    // Assess
    const record = await w.analysis(analysisId);
    expect(record).toMatchObject({
      status: 'DONE',
      result_id: runId,
      result_key: resultKey(TENANT, SID, runId),
      dataset_key: datasetKey(TENANT, SID, 'pre-run'),
      summary,
    });
  });

  it("makes a PREPROCESSING run's dataset the structure's, unless a later one already is", async () => {
    // Prepare: two PREPROCESSING runs; the later one's job.done is delivered first.
    const w = world();
    const dataset = {
      fs: 100,
      fs_input: 100,
      decimate: 1,
      samples: 12000,
      channels: 5,
      duration_s: 120,
      warnings: [],
    };
    const early = await queuedRun(w, { type: 'PREPROCESSING' });
    const late = await queuedRun(w, { type: 'PREPROCESSING' });
    const paramsOf = (runId: string) => ({ dataset_key: datasetKey(TENANT, SID, runId), dataset });
    await w.backend.store.transition(TENANT, early.runId, {
      expect: {},
      set: {
        params: {
          structure_id: SID,
          analysis_id: early.analysisId,
          type: 'PREPROCESSING',
          ...paramsOf(early.runId),
        },
      },
    });
    await w.backend.store.transition(TENANT, late.runId, {
      expect: {},
      set: {
        params: {
          structure_id: SID,
          analysis_id: late.analysisId,
          type: 'PREPROCESSING',
          ...paramsOf(late.runId),
        },
      },
    });
    // Act
    await w.deliver(late.event('job.done', { time: '2026-01-01T00:00:02.000Z' }));
    await w.deliver(early.event('job.done', { time: '2026-01-01T00:00:01.000Z' }));
    // Assess
    const structure = await w.store.getStructure(TENANT, SID);
    expect(structure?.dataset_key).toBe(datasetKey(TENANT, SID, late.runId));
    expect(structure?.dataset_analysis_id).toBe(late.analysisId);
    expect((await w.analysis(early.analysisId))?.dataset_key).toBe(datasetKey(TENANT, SID, early.runId));
    expect((await w.analysis(early.analysisId))?.status).toBe('DONE');
  });

  it('ignores jobs that are gone or are not analyses, and listens to the oma pipeline only', async () => {
    // Prepare
    const w = world();
    const stranger = jobRecord({ tenant_id: TENANT, pipeline: 'oma', params: { text: 'not an analysis' } });
    await w.backend.store.createJob(stranger);
    // Act
    await w.deliver(jobEvent(stranger, { type: 'job.done' }));
    await w.deliver(jobEvent({ job_id: 'gone', tenant_id: TENANT, pipeline: 'oma' }, { type: 'job.done' }));
    // Assess
    expect(w.published).toEqual([]);
    expect(omaStatusListener.pipelines).toEqual(['oma']);
    expect(omaStatusListener.types).not.toContain('stage.progress');
  });
});
