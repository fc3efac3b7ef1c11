import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/core/ports/index.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { DEFAULT_TOKENS } from '../../lib/dev/tokens.js';
import { exampleService } from '../../lib/pipelines/example/service.js';
import type { AnalysisRecord } from '../../lib/pipelines/oma/schemas.js';
import { omaService } from '../../lib/pipelines/oma/service.js';
import { eventually } from '../support/wait.js';
import { frameMeasurement } from '../unit/pipelines/oma/fixtures.js';

// Issue 10: a job of tenant B cannot reach tenant A's stored objects through any stage of any
// pipeline, whatever form the reference takes. B's job is refused (400, nothing created) or fails
// at once with NOT_FOUND, saying what it would say of a key that exists nowhere; A's objects are
// untouched and nothing is written under A's prefix.

const [tokenA = '', tokenB = ''] = Object.keys(DEFAULT_TOKENS.tokens);
const A_PREFIX = 'tenants/tenant-a/';

let dir: string;
let runtime: DevRuntime;

async function api<T>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function finished(token: string, jobId: string): Promise<JobRecord> {
  return eventually(
    async () => {
      const { body } = await api<JobRecord>(token, 'GET', `/jobs/${jobId}`);
      return ['DONE', 'FAILED', 'ABORTED'].includes(body.status) ? body : undefined;
    },
    `job ${jobId} to end`,
    60_000,
  );
}

/** Every object under A's prefix with a digest of its bytes. */
async function objectsOfA(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const info of await runtime.backend.blobs.list(A_PREFIX)) {
    out[info.key] = createHash('sha256')
      .update(await runtime.backend.blobs.get(info.key))
      .digest('hex');
  }
  return out;
}

/** What B gets for a reference: the submit's status, and the job's end when it was created. */
async function attempt(
  pipeline: string,
  entry: string,
  params: Record<string, unknown>,
): Promise<{ status: number; code?: string; message?: string; job?: JobRecord }> {
  const submitted = await api<JobRecord & { error?: { code: string; message: string } }>(
    tokenB,
    'POST',
    '/jobs',
    {
      pipeline,
      entry_stage: entry,
      params,
    },
  );
  if (submitted.status !== 201) {
    return {
      status: submitted.status,
      code: submitted.body.error?.code,
      message: submitted.body.error?.message,
    };
  }
  const job = await finished(tokenB, submitted.body.job_id);
  return { status: 201, code: job.error?.code, message: job.error?.message, job };
}

/** The forms a reference to one of A's objects can take, from a relative key `documents/x`. */
function hostileForms(relative: string): string[] {
  return [
    relative, // A's own key: relative to B's storage, it is B's (absent) object
    `${A_PREFIX}${relative}`,
    `../tenant-a/${relative}`,
    `../../${A_PREFIX}${relative}`,
    `/${A_PREFIX}${relative}`,
    `${relative.split('/')[0]}/../../tenant-a/${relative}`,
    `%2e%2e/%2e%2e/${A_PREFIX}${relative}`,
    `..%2f..%2f${A_PREFIX}${relative}`,
    `${relative.split('/')[0]}/tenant-a/${relative.split('/').slice(1).join('/')}`,
    `${relative}\u0000`,
    `./${relative}`,
  ];
}

/** A's keys, found by running A's work through the API. */
const a = { document: '', counts: '', csv: '', dataset: '', result: '', modes: '' };
const analysisParams = { structure_id: 'bridge', analysis_id: 'stolen', type: 'FDD', parameters: {} };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagecoach-tenants-'));
  runtime = await DevRuntime.start({
    backend: 'memory',
    services: [omaService, exampleService],
    port: 0,
    tokensFile: join(dir, 'tokens.json'),
    blobDir: join(dir, 'blobs'),
  });
  // Tenant A's document and its counts.
  const wc = await api<JobRecord>(tokenA, 'POST', '/jobs', {
    pipeline: 'wordcount',
    params: { document_id: 'secret-doc', text: 'the secret of tenant a is a secret' },
  });
  const done = await finished(tokenA, wc.body.job_id);
  expect(done.status).toBe('DONE');
  a.document = String(done.params.document_key);
  a.counts = String(done.params.counts_key);
  // Tenant A's measurement, its dataset, and an FDD result (uploaded through a presigned URL).
  const pre = await api<AnalysisRecord>(tokenA, 'POST', '/structures/bridge/analyses', {
    type: 'PREPROCESSING',
    analysis_id: 'pre',
  });
  const upload = await api<{ url: string }>(tokenA, 'POST', '/structures/bridge/analyses/pre/upload-url');
  const put = await fetch(upload.body.url, {
    method: 'PUT',
    body: (await frameMeasurement({ duration: 60 })).csv,
  });
  expect(put.status).toBe(200);
  a.csv = pre.body.csv_key;
  for (const [id, type] of [
    ['pre', 'PREPROCESSING'],
    ['fdd', 'FDD'],
  ] as const) {
    if (id === 'fdd') await api(tokenA, 'POST', '/structures/bridge/analyses', { type, analysis_id: id });
    await api(tokenA, 'POST', `/structures/bridge/analyses/${id}/run`);
    const record = await eventually(
      async () => {
        const { body } = await api<AnalysisRecord>(tokenA, 'GET', `/structures/bridge/analyses/${id}`);
        return ['DONE', 'ERROR', 'ABORTED'].includes(body.status) ? body : undefined;
      },
      `A's ${type} analysis`,
      60_000,
    );
    expect(record.status, JSON.stringify(record.error)).toBe('DONE');
    if (id === 'pre') a.dataset = record.dataset_key ?? '';
    else a.result = record.result_key ?? '';
  }
  const fddJob = await api<JobRecord>(
    tokenA,
    'GET',
    `/jobs/${(await api<AnalysisRecord>(tokenA, 'GET', '/structures/bridge/analyses/fdd')).body.run_id}`,
  );
  a.modes = String(fddJob.body.params.modes_key);
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("tenant B cannot reach tenant A's objects through any stage", () => {
  const cases = [
    { pipeline: 'wordcount', stage: 'count', param: 'document_key', key: () => a.document, extra: {} },
    { pipeline: 'wordcount', stage: 'report', param: 'counts_key', key: () => a.counts, extra: {} },
    { pipeline: 'oma', stage: 'preprocess', param: 'csv_key', key: () => a.csv, extra: analysisParams },
    { pipeline: 'oma', stage: 'analyze', param: 'dataset_key', key: () => a.dataset, extra: analysisParams },
    { pipeline: 'oma', stage: 'publish', param: 'result_key', key: () => a.result, extra: analysisParams },
  ];

  it.each(cases)(
    '$pipeline/$stage ($param): refused or NOT_FOUND, A untouched',
    async ({ pipeline, stage, param, key, extra }) => {
      // Prepare
      const before = await objectsOfA();
      expect(Object.keys(before)).toContain(`${A_PREFIX}${key()}`);
      const nowhere = await attempt(pipeline, stage, { ...extra, [param]: `${key()}.nowhere` });
      // Act
      const outcomes = [];
      for (const form of [...hostileForms(key()), a.modes]) {
        outcomes.push({ form, ...(await attempt(pipeline, stage, { ...extra, [param]: form })) });
      }
      // Assess: every form is refused at submit or fails at once as not found, and says no more
      // about A's real object than about one that exists nowhere.
      expect(nowhere.code).toBe('NOT_FOUND');
      for (const outcome of outcomes) {
        if (outcome.status === 201) {
          expect(outcome.job?.status, outcome.form).toBe('FAILED');
          expect(outcome.code, outcome.form).toBe('NOT_FOUND');
          expect(outcome.message?.replace(outcome.form, '<key>'), outcome.form).toBe(
            nowhere.message?.replace(`${key()}.nowhere`, '<key>'),
          );
          expect(outcome.job?.params.top_words ?? outcome.job?.params.summary, outcome.form).toBeUndefined();
        } else {
          expect(outcome.status, outcome.form).toBe(400);
          expect(outcome.code, outcome.form).toBe('INVALID_PARAMS');
        }
      }
      expect(await objectsOfA()).toEqual(before);
    },
  );

  it('a MULTI_SETUP analysis cannot name A’s datasets as its setups', async () => {
    // Prepare
    const before = await objectsOfA();
    const multi = (dataset: string) => ({
      structure_id: 'bridge',
      analysis_id: 'stolen-multi',
      type: 'MULTI_SETUP',
      parameters: {
        setups: [
          { analysis_id: 's1', reference_channels: [0] },
          { analysis_id: 's2', reference_channels: [0] },
        ],
      },
      setups: ['s1', 's2'].map((name) => ({
        name,
        analysis_id: name,
        dataset_key: dataset,
        reference_channels: [0],
      })),
    });
    const nowhere = await attempt('oma', 'analyze', multi(`${a.dataset}.nowhere`));
    // Act
    const outcomes = [];
    for (const form of hostileForms(a.dataset)) {
      outcomes.push({ form, ...(await attempt('oma', 'analyze', multi(form))) });
    }
    // Assess
    expect(nowhere.code).toBe('NOT_FOUND');
    for (const outcome of outcomes) {
      if (outcome.status === 201) {
        expect(outcome.job?.status, outcome.form).toBe('FAILED');
        expect(outcome.code, outcome.form).toBe('NOT_FOUND');
        expect(outcome.message, outcome.form).toBe(nowhere.message);
      } else {
        expect(outcome.status, outcome.form).toBe(400);
      }
    }
    expect(await objectsOfA()).toEqual(before);
  });

  it('a replay cannot point a failed job at A’s object either', async () => {
    // Prepare
    const before = await objectsOfA();
    const failed = await attempt('wordcount', 'count', { document_key: 'documents/missing.txt' });
    const id = failed.job?.job_id ?? '';
    // Act
    const relative = await api<JobRecord>(tokenB, 'POST', `/jobs/${id}/replay`, {
      params: { document_key: a.document },
    });
    // The replay ends before the next is asked for: a replay of a job still running is a 409
    // whatever its params, and this one must meet the params' check.
    const replayed = await finished(tokenB, id);
    const climbing = await api<{ error: { code: string } }>(tokenB, 'POST', `/jobs/${id}/replay`, {
      params: { document_key: `../tenant-a/${a.document}` },
    });
    // Assess
    expect(relative.status).toBe(202);
    expect(replayed.error?.code).toBe('NOT_FOUND');
    expect(climbing.status).toBe(400);
    expect(await objectsOfA()).toEqual(before);
  });

  it("presigned URLs: one of A's cannot be bent to another object, nor B's to A's prefix", async () => {
    const upload = await api<{ url: string }>(tokenA, 'POST', '/structures/bridge/analyses/fdd/upload-url');
    const url = new URL(upload.body.url);
    const other = new URL(upload.body.url);
    other.pathname = `/blobs/${A_PREFIX}${a.result}`;
    const get = new URL(upload.body.url);
    get.searchParams.set('X-Method', 'GET');
    const bent = await fetch(other, { method: 'PUT', body: 'x' });
    const asGet = await fetch(get);
    const forged = await fetch(
      `${url.origin}/blobs/${A_PREFIX}${a.document}?X-Method=GET&X-Expires=9999999999&X-Signature=00`,
    );
    const outside = await fetch(
      `${url.origin}/blobs/..%2F..%2Fetc%2Fpasswd?X-Method=GET&X-Expires=9999999999&X-Signature=00`,
    );
    expect(bent.status).toBe(403);
    expect(asGet.status).toBe(403);
    expect(forged.status).toBe(403);
    expect([403, 404]).toContain(outside.status);
  });

  it('job ids are per tenant: B using an id first does not stop A, nor tell A anything', async () => {
    const b = await api<JobRecord>(tokenB, 'POST', '/jobs', {
      pipeline: 'wordcount',
      job_id: 'invoice-1001',
      params: { document_id: 'b', text: 'b' },
    });
    const aSame = await api<JobRecord>(tokenA, 'POST', '/jobs', {
      pipeline: 'wordcount',
      job_id: 'invoice-1001',
      params: { document_id: 'a', text: 'a a' },
    });
    const aAgain = await api<{ error: { code: string; message: string } }>(tokenA, 'POST', '/jobs', {
      pipeline: 'wordcount',
      job_id: 'invoice-1001',
      params: { document_id: 'a', text: 'different' },
    });
    expect(b.status).toBe(201);
    expect(aSame.status).toBe(201);
    expect(aSame.body.tenant_id).toBe('tenant-a');
    await finished(tokenA, aSame.body.job_id);
    await finished(tokenB, b.body.job_id);
    expect(aAgain.status).toBe(409);
    expect(aAgain.body.error.message).toContain('params text differ');
    for (const id of ['.', '..', '-x', 'a/b', 'x'.repeat(129)]) {
      const refused = await api<{ error: { code: string } }>(tokenA, 'POST', '/jobs', {
        pipeline: 'wordcount',
        job_id: id,
        params: { document_id: 'a', text: 'a' },
      });
      expect(refused.status, id).toBe(400);
    }
  });
  // Last: B's own 'secret-doc' would be found by the tests above.
  it('wordcount/ingest: a document_id cannot climb out, and the same name is B’s own document', async () => {
    // Prepare
    const before = await objectsOfA();
    // Act
    const climbing = [];
    for (const id of [
      '../tenant-a/secret-doc',
      '../../tenants/tenant-a/documents/secret-doc',
      '/x',
      '..',
      '.',
      '%2e%2e',
    ]) {
      climbing.push(await attempt('wordcount', 'ingest', { document_id: id, text: 'overwrite' }));
    }
    const same = await attempt('wordcount', 'ingest', {
      document_id: 'secret-doc',
      text: 'bob writes his own',
    });
    // Assess
    for (const outcome of climbing) expect(outcome.status).toBe(400);
    expect(same.job?.status).toBe('DONE');
    expect(same.job?.params.top_words).toEqual([
      { word: 'bob', n: 1 },
      { word: 'his', n: 1 },
      { word: 'own', n: 1 },
      { word: 'writes', n: 1 },
    ]);
    expect(await objectsOfA()).toEqual(before);
  });
});
