import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { HttpApi, LiveApi } from '../../../../lib/core/api/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { callerFromClaims } from '../../../../lib/shells/lambda/http-handler.js';

// The router and the live API turn hostile input into 4xx answers that name the problem, before
// it reaches a store: malformed escapes, ids no job can have, JSON too deep or too large.

const caller = { tenantId: 't1' };
let runtime: Runtime;
let api: HttpApi;
let live: LiveApi;
const replies: string[] = [];

beforeAll(async () => {
  const backend = createMemoryBackend();
  runtime = await Runtime.create({
    backend,
    pipelines: [
      definePipeline({
        name: 'docs',
        stages: [defineStage({ name: 'read', inputs: { doc: required }, outputs: [], process: () => ({}) })],
      }),
    ],
  });
  api = runtime.deployment.httpApi();
  backend.live.register('c1', (data) => {
    replies.push(data);
  });
  live = runtime.deployment.liveApi(backend.live);
  await live.connect('c1', caller);
});
afterAll(async () => {
  await runtime.stop();
});

const call = (method: string, path: string, body?: string, who: typeof caller | undefined = caller) =>
  api.handle({
    method,
    path,
    query: {},
    ...(body === undefined ? {} : { body }),
    ...(who === undefined ? {} : { caller: who }),
  });
const errorOf = (response: { body?: unknown }) =>
  (response.body as { error: { code: string; message: string } }).error;

describe('the HTTP router', () => {
  it('answers 400 BAD_ENCODING to a malformed percent-escape, with or without a caller', async () => {
    for (const path of ['/jobs/%ZZ', '/jobs/%', '/jobs/%C3%28', '/holds/%E0%A4%A', '/%FF']) {
      for (const who of [caller, undefined]) {
        const response = await call('GET', path, undefined, who);
        expect(response.status, path).toBe(400);
        expect(errorOf(response).code).toBe('BAD_ENCODING');
      }
    }
  });

  it('answers 404 to an id no job, hold or dead letter can have, without echoing it raw', async () => {
    const long = await call('GET', `/jobs/${'x'.repeat(5_000)}`);
    const control = await call('GET', '/jobs/a%00%1B%5B2J');
    const dots = await call('POST', '/jobs/%2E%2E/abort', '{}');
    const hold = await call('DELETE', '/holds/..');
    const letter = await call('POST', '/dead-letters/%2Fetc/redrive');
    expect(long.status).toBe(404);
    expect(errorOf(long).message.length).toBeLessThan(120);
    expect(errorOf(control)).toEqual({
      code: 'JOB_NOT_FOUND',
      message: "Job 'a\\x00\\x1b[2J' was not found.",
    });
    expect(dots.status).toBe(404);
    expect(hold.status).toBe(404);
    expect(errorOf(hold).code).toBe('HOLD_NOT_FOUND');
    expect(letter.status).toBe(404);
  });

  it('refuses deep, large or broken JSON bodies with 400 naming the limit, creating nothing', async () => {
    const deep = await call(
      'POST',
      '/jobs',
      `{"pipeline":"docs","params":{"doc":${'['.repeat(5_000)}${']'.repeat(5_000)}}}`,
    );
    const large = await call(
      'POST',
      '/jobs',
      JSON.stringify({ pipeline: 'docs', params: { doc: 'x'.repeat(1_100_000) } }),
    );
    const broken = await call('POST', '/jobs', '{"pipeline":');
    const paramsDeep = await call(
      'POST',
      '/jobs',
      `{"pipeline":"docs","params":{"doc":${'['.repeat(31)}${']'.repeat(31)}}}`,
    );
    expect([deep.status, large.status, broken.status]).toEqual([400, 400, 400]);
    expect(errorOf(deep).code).toBe('JSON_TOO_DEEP');
    expect(errorOf(large).code).toBe('JSON_TOO_LARGE');
    expect(errorOf(broken).code).toBe('BAD_REQUEST');
    // 31 levels inside params inside the body is 33: the body's own limit answers first.
    expect(errorOf(paramsDeep).message).toContain('the limit is 32 levels');
    expect((await runtime.jobs.list(caller)).items).toEqual([]);
  });

  it('keeps Idempotency-Keys per tenant and refuses a malformed one with 400 naming the header', async () => {
    // Prepare
    const other = { tenantId: 't2' };
    const submit = (who: typeof caller, key: string, doc: string) =>
      api.handle({
        method: 'POST',
        path: '/jobs',
        query: {},
        headers: { 'idempotency-key': key },
        body: JSON.stringify({ pipeline: 'docs', params: { doc } }),
        caller: who,
      });
    // Act
    const squatted = await submit(other, 'invoice-1001', 'theirs');
    const mine = await submit(caller, 'invoice-1001', 'mine');
    const repeat = await submit(caller, 'invoice-1001', 'mine');
    const changed = await submit(caller, 'invoice-1001', 'changed');
    const malformed = await Promise.all(
      ['', 'x'.repeat(256), 'two words', 'caf\u00e9', 'a\u0000b'].map((key) => submit(caller, key, 'mine')),
    );
    // Assess
    // Tenant t2 using the key first neither stops t1 from using it nor tells t1 it was used.
    expect([squatted.status, mine.status, repeat.status, changed.status]).toEqual([201, 201, 200, 409]);
    const id = (mine.body as { job_id: string }).job_id;
    expect((squatted.body as { job_id: string }).job_id).toBe(id);
    expect(errorOf(changed).message).toContain('params doc');
    expect(errorOf(changed).message).not.toContain('theirs');
    expect((await runtime.jobs.get(id, other)).params).toEqual({ doc: 'theirs' });
    expect((await runtime.jobs.get(id, caller)).params).toEqual({ doc: 'mine' });
    for (const response of malformed) {
      expect(response.status).toBe(400);
      expect(errorOf(response)).toMatchObject({ code: 'BAD_IDEMPOTENCY_KEY' });
      expect(errorOf(response).message).toContain('Idempotency-Key');
    }
    expect((await runtime.jobs.list(caller)).items.map((j) => j.job_id)).toEqual([id]);
  });
});

describe('the live API', () => {
  it('answers a message over a limit with the limit, and an id no job can have as a bad request', async () => {
    await live.message('c1', `{"action":"subscribe","job_id":${'['.repeat(40)}${']'.repeat(40)}}`);
    await live.message('c1', JSON.stringify({ action: 'subscribe', job_id: '..' }));
    await live.message('c1', JSON.stringify({ action: 'ping', padding: 'x'.repeat(200_000) }));
    const [deep, dots, large] = replies
      .slice(-3)
      .map((r) => JSON.parse(r) as { code: string; message: string });
    expect(deep?.code).toBe('JSON_TOO_DEEP');
    expect(dots?.code).toBe('BAD_REQUEST');
    expect(large?.code).toBe('JSON_TOO_LARGE');
    expect(large?.message).toContain('128 KiB');
  });
});

describe('the tenant of a request', () => {
  it('must be an id: a claim that could reach into another tenant’s keys is no tenant', () => {
    const claim = 'custom:tenant_id';
    expect(callerFromClaims({ [claim]: 'tenant-a', sub: 'u' }, claim)).toEqual({
      tenantId: 'tenant-a',
      userId: 'u',
    });
    for (const tenant of ['tenant-a/x', 'a#J#b', '..', '', ' tenant-a']) {
      expect(callerFromClaims({ [claim]: tenant }, claim), tenant).toBeUndefined();
    }
  });
});
