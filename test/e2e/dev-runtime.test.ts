import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { JobEvent } from '../../lib/core/ports/index.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { DEFAULT_TOKENS } from '../../lib/dev/tokens.js';
import { exampleService } from '../../lib/pipelines/example/service.js';
import { motoEndpoint } from '../contract/aws-harness.js';
import { slowService } from '../support/slow-service.js';
import { eventually } from '../support/wait.js';

const [tokenA, tokenB] = Object.keys(DEFAULT_TOKENS.tokens);

/** A WebSocket client that records every message. */
async function client(
  url: string,
  token: string | undefined,
): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(token === undefined ? url : `${url}?token=${token}`);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, messages };
}

const eventsOf = (messages: readonly Record<string, unknown>[], jobId: string): JobEvent[] =>
  messages
    .filter((m) => m.type === 'event')
    .map((m) => m.event as JobEvent)
    .filter((e) => e.job_id === jobId);

function describeDevRuntime(backend: 'memory' | 'moto'): void {
  let runtime: DevRuntime;
  let dir: string;
  const api = (path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${runtime.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-dev-'));
    runtime = await DevRuntime.start({
      backend,
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
      prefix: `e2e${Date.now() % 100_000}-`,
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a job submitted over HTTP and streams its events over a WebSocket, to its tenant only', async () => {
    // Prepare: tenant A watches its stream; tenant B watches its own.
    const a = await client(runtime.wsUrl, tokenA);
    const b = await client(runtime.wsUrl, tokenB);
    a.ws.send(JSON.stringify({ action: 'subscribe', stream: 'tenant' }));
    b.ws.send(JSON.stringify({ action: 'subscribe', stream: 'tenant' }));
    await eventually(
      () =>
        a.messages.some((m) => m.type === 'subscribed') && b.messages.some((m) => m.type === 'subscribed'),
      'both subscriptions',
    );

    // Act
    const created = await api('/jobs', tokenA, {
      method: 'POST',
      body: JSON.stringify({
        pipeline: 'wordcount',
        params: { document_id: 'e2e', text: 'one two two three three three' },
      }),
    });
    const job = (await created.json()) as { job_id: string; status: string };
    // Events arrive at least once and in any order (job.done may overtake a stage's event).
    const expected = [
      'job.created@ingest',
      'stage.started@ingest',
      'stage.completed@ingest',
      'stage.started@count',
      'stage.completed@count',
      'stage.started@report',
      'stage.completed@report',
      'job.done@report',
    ];
    const kindsOf = (events: readonly JobEvent[]) =>
      new Set(events.map((e) => `${e.type}@${e.stage}`).filter((k) => !k.startsWith('stage.progress')));
    const live = await eventually(() => {
      const seen = eventsOf(a.messages, job.job_id);
      const kinds = kindsOf(seen);
      return expected.every((k) => kinds.has(k)) ? seen : undefined;
    }, 'every event of the job over the WebSocket').catch(() => eventsOf(a.messages, job.job_id));

    // Assess
    expect(created.status).toBe(201);
    expect(job.status).toBe('QUEUED');
    expect(kindsOf(live)).toEqual(new Set(expected));
    const done = (await (await api(`/jobs/${job.job_id}`, tokenA)).json()) as {
      status: string;
      params: { top_words: unknown };
    };
    expect(done.status).toBe('DONE');
    expect(done.params.top_words).toEqual([
      { word: 'three', n: 3 },
      { word: 'two', n: 2 },
      { word: 'one', n: 1 },
    ]);
    const stored = (await (await api(`/jobs/${job.job_id}/events`, tokenA)).json()) as { items: JobEvent[] };
    expect(stored.items.map((e) => e.type)).toEqual(expect.arrayContaining(['job.created', 'job.done']));

    // Tenant B sees nothing of it: not over HTTP, not on its socket.
    expect((await api(`/jobs/${job.job_id}`, tokenB)).status).toBe(404);
    expect(eventsOf(b.messages, job.job_id)).toEqual([]);
    a.ws.close();
    b.ws.close();
  });

  it('refuses requests and sockets without a valid token', async () => {
    expect((await api('/jobs', undefined)).status).toBe(401);
    expect((await api('/jobs', 'not-a-token')).status).toBe(401);
    await expect(client(runtime.wsUrl, undefined)).rejects.toThrow(/401/);
    await expect(client(runtime.wsUrl, 'not-a-token')).rejects.toThrow(/401/);
  });
}

describe('dev runtime, embedded backend', () => {
  describeDevRuntime('memory');

  it('answers 500 to a WebSocket whose $connect fails, and keeps serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagecoach-dev-'));
    const runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    try {
      const store = runtime.backend.store;
      const put = store.putConnection.bind(store);
      store.putConnection = () => Promise.reject(new Error('store unreachable'));
      await expect(client(runtime.wsUrl, tokenA)).rejects.toThrow(/HTTP 500/);
      store.putConnection = put;
      const { ws } = await client(runtime.wsUrl, tokenA);
      ws.close();
    } finally {
      await runtime.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops while a Lambda stage runs, giving its message back rather than failing the job', async () => {
    // Prepare: a stage that runs until it is aborted
    const dir = await mkdtemp(join(tmpdir(), 'stagecoach-dev-'));
    const runtime = await DevRuntime.start({
      backend: 'memory',
      services: [slowService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    const caller = { tenantId: 'tenant-a' };
    try {
      const job = await runtime.jobs.submit({ pipeline: 'slow', params: {} }, caller);
      await eventually(
        async () => (await runtime.jobs.get(job.job_id, caller)).status === 'RUNNING',
        'the stage to be claimed',
      );
      // Act
      await runtime.stop();
      // Assess: interrupted, not failed — the job is queued again, its message given back
      const after = await runtime.jobs.get(job.job_id, caller);
      expect(after.status).toBe('QUEUED');
      expect(after.error).toBeUndefined();
      expect(after.retry_count).toBe(0);
    } finally {
      await runtime.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(motoEndpoint() === undefined)('dev runtime, moto backend', () => {
  describeDevRuntime('moto');
});
