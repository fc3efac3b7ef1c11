import { describe, expect, it } from 'vitest';
import { createMemoryBackend, LocalUrlSigner } from '../../../../lib/adapters/memory/index.js';
import { HttpApi, type HttpResponse } from '../../../../lib/core/api/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import type { ServiceEvent } from '../../../../lib/core/ports/index.js';
import { tenantBlobs, tenantRecords } from '../../../../lib/core/ports/index.js';
import { AnalysisStore } from '../../../../lib/pipelines/oma/analysis-store.js';
import { datasetKey } from '../../../../lib/pipelines/oma/keys.js';
import { omaStatusListener } from '../../../../lib/pipelines/oma/listener.js';
import { omaPipeline } from '../../../../lib/pipelines/oma/pipeline.js';
import { analysisRoutes } from '../../../../lib/pipelines/oma/routes.js';
import type { AnalysisRecord } from '../../../../lib/pipelines/oma/schemas.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { eventually } from '../../../support/wait.js';

const alice: Caller = { tenantId: 'tenant-a', userId: 'alice' };
const bob: Caller = { tenantId: 'tenant-b', userId: 'bob' };

/**
 * The analyses API on an embedded runtime whose workers are not started: runs stay QUEUED, so the
 * API's own decisions (status codes, tenant scoping, the job each run submits) can be looked at.
 */
async function api() {
  const backend = createMemoryBackend();
  const published: ServiceEvent[] = [];
  backend.events.subscribeService((event) => {
    published.push(event);
  });
  const runtime = await Runtime.create({ pipelines: [omaPipeline], backend, listeners: [omaStatusListener] });
  const http = new HttpApi(analysisRoutes({ jobs: runtime.jobs, backend: runtime.backend }));
  const call = (caller: Caller, method: string, path: string, body?: unknown): Promise<HttpResponse> =>
    http.handle({
      method,
      path,
      query: {},
      caller,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const create = async (caller: Caller, sid: string, body: unknown): Promise<AnalysisRecord> => {
    const response = await call(caller, 'POST', `/structures/${sid}/analyses`, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as AnalysisRecord;
  };
  return { backend, runtime, published, call, create };
}

const errorOf = (response: HttpResponse): { code: string; message: string } =>
  (response.body as { error: { code: string; message: string } }).error;

describe('OMA analyses API', () => {
  it('creates an analysis READY with its defaults, and publishes READY', async () => {
    // Prepare
    const { call, create, backend, published } = await api();
    // Act
    const created = await create(alice, 'bridge-1', {
      type: 'SSI',
      parameters: { fmax: 20 },
      name: 'span 1',
    });
    const read = await call(alice, 'GET', `/structures/bridge-1/analyses/${created.analysis_id}`);
    await backend.events.flush();
    // Assess
    expect(created).toMatchObject({
      structure_id: 'bridge-1',
      type: 'SSI',
      status: 'READY',
      name: 'span 1',
      created_by: 'alice',
      parameters: { fmax: 20, decimate: 'auto', detrend: 'linear', order_step: 2 },
    });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created);
    expect(published.map((e) => e.detail)).toEqual([
      {
        tenant_id: 'tenant-a',
        user_id: 'alice',
        document_id: created.analysis_id,
        run_type: 'SSI',
        status: 'READY',
        structure_id: 'bridge-1',
      },
    ]);
  });

  it('refuses an unknown type with a 400 naming the allowed ones, and creates nothing', async () => {
    // Prepare
    const { call } = await api();
    // Act
    const response = await call(alice, 'POST', '/structures/bridge-1/analyses', { type: 'MODAL' });
    const badParams = await call(alice, 'POST', '/structures/bridge-1/analyses', {
      type: 'FDD',
      parameters: { fmin: 30, fmax: 20 },
    });
    const badId = await call(alice, 'POST', '/structures/a%20b/analyses', { type: 'FDD' });
    const list = await call(alice, 'GET', '/structures/bridge-1/analyses');
    // Assess
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toBe(
      'Invalid analysis: type: type must be one of PREPROCESSING, FDD, SSI, MULTI_SETUP (got "MODAL").',
    );
    expect(badParams.status).toBe(400);
    expect(errorOf(badParams).message).toBe('Invalid FDD parameters: fmin: fmin must be below fmax.');
    expect(badId.status).toBe(400);
    expect(list.body).toEqual({ items: [] });
  });

  it('lists a structure and answers 409 for a duplicate analysis id', async () => {
    const { call, create } = await api();
    await create(alice, 'bridge-1', { type: 'FDD', analysis_id: 'a-1' });
    await create(alice, 'bridge-1', { type: 'SSI', analysis_id: 'a-2' });
    await create(alice, 'bridge-2', { type: 'SSI', analysis_id: 'a-3' });
    const again = await call(alice, 'POST', '/structures/bridge-1/analyses', {
      type: 'SSI',
      analysis_id: 'a-1',
    });
    const list = await call(alice, 'GET', '/structures/bridge-1/analyses');
    expect(again.status).toBe(409);
    expect((list.body as { items: AnalysisRecord[] }).items.map((a) => a.analysis_id)).toEqual([
      'a-1',
      'a-2',
    ]);
  });

  it("hides one tenant's analyses from another: every route is a 404, and nothing changes", async () => {
    // Prepare
    const { call, create, runtime } = await api();
    const mine = await create(alice, 'bridge-1', { type: 'PREPROCESSING' });
    const queued = (await call(alice, 'POST', `/structures/bridge-1/analyses/${mine.analysis_id}/run`))
      .body as AnalysisRecord;
    const path = `/structures/bridge-1/analyses/${mine.analysis_id}`;
    // Act
    const answers = await Promise.all([
      call(bob, 'GET', path),
      call(bob, 'POST', `${path}/run`),
      call(bob, 'POST', `${path}/abort`),
      call(bob, 'GET', `${path}/results`),
      call(bob, 'POST', `${path}/upload-url`),
    ]);
    const bobsList = await call(bob, 'GET', '/structures/bridge-1/analyses');
    // Assess
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404]);
    expect(bobsList.body).toEqual({ items: [] });
    expect((await call(alice, 'GET', path)).body).toMatchObject({ status: 'QUEUED', run_id: queued.run_id });
    expect((await runtime.jobs.get(queued.run_id ?? '', alice)).status).toBe('QUEUED');
  });

  it('runs: QUEUED with a job per run, the stage range by type and dataset; 409 while in flight', async () => {
    // Prepare: a structure with a dataset, an FDD with its own CSV, an SSI without one.
    const { call, create, runtime, backend } = await api();
    const pre = await create(alice, 'bridge-1', { type: 'PREPROCESSING' });
    const withCsv = await create(alice, 'bridge-1', { type: 'FDD' });
    await tenantBlobs(backend.blobs, 'tenant-a').put(withCsv.csv_key, 'time,a\n');
    const reuse = await create(alice, 'bridge-1', { type: 'SSI' });
    const dataset = {
      fs: 100,
      fs_input: 100,
      decimate: 1,
      samples: 1000,
      channels: 2,
      duration_s: 10,
      warnings: [],
    };
    await new AnalysisStore((t) => tenantRecords(backend.records, t)).offerDataset('tenant-a', {
      structure_id: 'bridge-1',
      dataset_key: datasetKey('tenant-a', 'bridge-1', 'r0'),
      dataset,
      dataset_analysis_id: 'p0',
      dataset_run_id: 'r0',
      dataset_at: '2026-01-01T00:00:00.000Z',
    });
    const noDataset = await create(alice, 'bridge-2', { type: 'SSI' });
    // Act
    const run = async (a: AnalysisRecord, sid = 'bridge-1') =>
      call(alice, 'POST', `/structures/${sid}/analyses/${a.analysis_id}/run`);
    const answers = [await run(pre), await run(withCsv), await run(reuse), await run(noDataset, 'bridge-2')];
    const twice = await run(reuse);
    // Assess
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const jobs = await Promise.all(
      answers.map((a) => runtime.jobs.get((a.body as AnalysisRecord).run_id ?? '', alice)),
    );
    expect(jobs.map((j) => `${j.entry_stage}..${j.exit_stage}`)).toEqual([
      'preprocess..preprocess',
      'preprocess..publish',
      'analyze..publish',
      'analyze..publish',
    ]);
    expect(jobs[0]?.params.csv_key).toBe(pre.csv_key);
    expect(jobs[2]?.params.dataset_key).toBe(datasetKey('tenant-a', 'bridge-1', 'r0'));
    expect(jobs[3]?.params.dataset_key).toBeUndefined();
    expect(jobs[2]?.tags).toEqual({ structure_id: 'bridge-1', analysis_id: reuse.analysis_id, type: 'SSI' });
    expect(answers[2]?.body).toMatchObject({ status: 'QUEUED', run_number: 1, run_by: 'alice', dataset });
    expect(twice.status).toBe(409);
    expect(errorOf(twice).message).toMatch(/is already QUEUED/);
  });

  it('answers 409 for results before DONE and for aborting a READY analysis', async () => {
    const { call, create } = await api();
    const a = await create(alice, 'bridge-1', { type: 'SSI' });
    const path = `/structures/bridge-1/analyses/${a.analysis_id}`;
    const results = await call(alice, 'GET', `${path}/results`);
    const abort = await call(alice, 'POST', `${path}/abort`);
    expect(results.status).toBe(409);
    expect(errorOf(results).message).toBe(
      `Analysis '${a.analysis_id}' is READY; it has results once it is DONE.`,
    );
    expect(abort.status).toBe(409);
    expect(errorOf(abort).message).toMatch(/only a QUEUED or RUNNING analysis can be aborted/);
  });

  it('aborts a queued run at once; the other analyses are untouched and a second abort is a no-op', async () => {
    // Prepare
    const { call, create, runtime } = await api();
    const target = await create(alice, 'bridge-1', { type: 'PREPROCESSING' });
    const bystander = await create(alice, 'bridge-1', { type: 'PREPROCESSING' });
    const path = (a: AnalysisRecord) => `/structures/bridge-1/analyses/${a.analysis_id}`;
    const run = (await call(alice, 'POST', `${path(target)}/run`)).body as AnalysisRecord;
    const other = (await call(alice, 'POST', `${path(bystander)}/run`)).body as AnalysisRecord;
    // Act
    const aborted = await call(alice, 'POST', `${path(target)}/abort`, { reason: 'wrong file' });
    const final = await eventually(async () => {
      const r = (await call(alice, 'GET', path(target))).body as AnalysisRecord;
      return r.status === 'ABORTED' ? r : undefined;
    }, 'the analysis ABORTED');
    const again = await call(alice, 'POST', `${path(target)}/abort`);
    // Assess
    expect(aborted.status).toBe(202);
    expect(final.history.map((h) => h.status)).toEqual(['READY', 'QUEUED', 'ABORTED']);
    expect((await runtime.jobs.get(run.run_id ?? '', alice)).status).toBe('ABORTED');
    expect(again.status).toBe(202);
    expect((again.body as AnalysisRecord).status).toBe('ABORTED');
    expect((await call(alice, 'GET', path(bystander))).body).toMatchObject({ status: 'QUEUED' });
    expect((await runtime.jobs.get(other.run_id ?? '', alice)).status).toBe('QUEUED');
  });

  it('gives an upload URL for the CSV, but not while a run may read it', async () => {
    // Prepare: the dev runtime's signer (the embedded store alone cannot sign).
    const { call, create, backend } = await api();
    backend.blobs.useSigner(new LocalUrlSigner('http://127.0.0.1:8787'));
    const a = await create(alice, 'bridge-1', { type: 'PREPROCESSING' });
    const path = `/structures/bridge-1/analyses/${a.analysis_id}`;
    // Act
    const url = await call(alice, 'POST', `${path}/upload-url`);
    await call(alice, 'POST', `${path}/run`);
    const during = await call(alice, 'POST', `${path}/upload-url`);
    // Assess
    expect(url.status).toBe(200);
    expect(url.body).toEqual({
      url: expect.stringMatching(
        `^http://127.0.0.1:8787/blobs/tenants/tenant-a/oma/tenant-a/bridge-1/analyses/${a.analysis_id}/measurements.csv\\?X-Method=PUT&`,
      ),
      method: 'PUT',
      key: `oma/tenant-a/bridge-1/analyses/${a.analysis_id}/measurements.csv`,
      expires_in_s: 900,
    });
    expect(during.status).toBe(409);
  });
});
