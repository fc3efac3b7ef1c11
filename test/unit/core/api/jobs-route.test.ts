import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

const caller = { tenantId: 't1' };

async function setup() {
  const stage = (name: string) =>
    defineStage({ name, inputs: { doc: required }, outputs: ['doc'], process: ({ doc }) => ({ doc }) });
  const runtime = await Runtime.create({
    backend: createMemoryBackend(),
    pipelines: [definePipeline({ name: 'docs', stages: [stage('read'), stage('write')] })],
  });
  const api = runtime.deployment.httpApi();
  const call = (method: string, path: string, query: Record<string, string> = {}, body?: unknown) =>
    api.handle({
      method,
      path,
      query,
      caller,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { runtime, call };
}

describe('GET /jobs filters and GET /jobs/counts', () => {
  it('filters by stage, tag, id prefix and creation time, and counts per status', async () => {
    const { runtime, call } = await setup();
    const submit = (job_id: string, tags: Record<string, string>, entry = 'read') =>
      call('POST', '/jobs', {}, { pipeline: 'docs', job_id, tags, entry_stage: entry, params: { doc: 'd' } });
    expect((await submit('alpha-1', { team: 'red' })).status).toBe(201);
    expect((await submit('alpha-2', { team: 'blue' }, 'write')).status).toBe(201);
    expect((await submit('beta-1', { team: 'red', env: 'prod' })).status).toBe(201);

    const ids = async (query: Record<string, string>) => {
      const res = await call('GET', '/jobs', query);
      expect(res.status).toBe(200);
      return (res.body as { items: { job_id: string }[] }).items.map((j) => j.job_id).sort();
    };
    expect(await ids({ q: 'alpha-' })).toEqual(['alpha-1', 'alpha-2']);
    expect(await ids({ stage: 'write' })).toEqual(['alpha-2']);
    expect(await ids({ tag: 'team:red' })).toEqual(['alpha-1', 'beta-1']);
    expect(await ids({ tag: 'team:red,env:prod' })).toEqual(['beta-1']);
    expect(await ids({ since: '2000-01-01T00:00:00Z', until: '2000-01-02T00:00:00Z' })).toEqual([]);
    expect(await ids({ since: '2000-01-01T00:00:00Z' })).toHaveLength(3);

    const counts = await call('GET', '/jobs/counts', { pipeline: 'docs' });
    expect(counts.status).toBe(200);
    expect(counts.body).toMatchObject({ counts: { QUEUED: 3 } });
    await runtime.stop();
  });

  it('answers 400 naming the bad filter', async () => {
    const { runtime, call } = await setup();
    const bad = [
      [{ tag: 'team' }, /tag filters are key:value pairs, got 'team'/],
      [{ since: 'yesterday' }, /since: must be an ISO-8601 time/],
      [{ status: 'SLEEPING' }, /status/],
      [{ cursor: 'x'.repeat(3000) }, /cursor/],
    ] as const;
    for (const [query, message] of bad) {
      const res = await call('GET', '/jobs', query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect((res.body as { error: { message: string } }).error.message).toMatch(message);
    }
    const reserved = await call(
      'POST',
      '/jobs',
      {},
      { pipeline: 'docs', job_id: 'counts', params: { doc: 'd' } },
    );
    expect(reserved.status).toBe(400);
    expect(JSON.stringify(reserved.body)).toContain("'counts' is reserved");
    await runtime.stop();
  });
});
