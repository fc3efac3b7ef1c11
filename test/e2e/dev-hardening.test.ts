import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { API_LIMITS } from '../../lib/core/api/index.js';
import type { JobRecord } from '../../lib/core/ports/index.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { DEFAULT_TOKENS } from '../../lib/dev/tokens.js';
import { exampleService } from '../../lib/pipelines/example/service.js';
import { type RunningCli, startStagecoach } from '../support/cli.js';
import { rawBytes, rawRequest, snapshot } from '../support/hostile.js';
import { closeCodeOf, encodeFrame, rawHandshake } from '../support/raw-ws.js';
import { eventually } from '../support/wait.js';

// Issue 10: hostile input never costs the server, and one frame cannot stop the dev runtime.

const [tokenA = '', tokenB = ''] = Object.keys(DEFAULT_TOKENS.tokens);
const TENANTS = ['tenant-a', 'tenant-b'];
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

/** Submits a wordcount job and follows it over a WebSocket until it is DONE. */
async function runJobOverSockets(url: string, wsUrl: string, token: string): Promise<string> {
  const ws = new WebSocket(`${wsUrl}?token=${token}`);
  const messages: { type?: string; event?: { type: string; job_id: string } }[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ action: 'subscribe', stream: 'tenant' }));
  await eventually(() => messages.some((m) => m.type === 'subscribed'), 'the subscription');
  const created = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      pipeline: 'wordcount',
      params: { document_id: 'after', text: 'still here here' },
    }),
  });
  expect(created.status).toBe(201);
  const { job_id } = (await created.json()) as { job_id: string };
  await eventually(
    () => messages.some((m) => m.event?.job_id === job_id && m.event.type === 'job.done'),
    'job.done over the WebSocket',
    30_000,
  );
  ws.close();
  return job_id;
}

describe('stagecoach dev: a malformed WebSocket frame closes its socket, and the process stays up', () => {
  let dir: string;
  let dev: RunningCli;
  let url = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-frames-'));
    dev = startStagecoach([
      'dev',
      '--port',
      '0',
      '--services',
      'wordcount',
      '--tokens',
      join(dir, 'tokens.json'),
      '--data',
      join(dir, 'blobs'),
      '--log-format',
      'json',
    ]);
    await dev.until(/HTTP API +http:\/\/127\.0\.0\.1:\d+/, 'stderr');
    url = /HTTP API +(http:\/\/127\.0\.0\.1:\d+)/.exec(dev.stderr())?.[1] ?? '';
  });
  afterAll(async () => {
    dev?.child.kill('SIGINT');
    await dev?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  const text = Buffer.from('{"action":"ping"}');
  const frames = [
    { name: 'RSV1 set without an extension', frame: { rsv: 0b100, opcode: 0x1, payload: text }, code: 1002 },
    { name: 'RSV2 and RSV3 set', frame: { rsv: 0b011, opcode: 0x1, payload: text }, code: 1002 },
    {
      name: 'invalid UTF-8 in a text frame',
      frame: { opcode: 0x1, payload: Buffer.from([0x7b, 0xff, 0xfe]) },
      code: 1007,
    },
    { name: 'an unmasked client frame', frame: { opcode: 0x1, payload: text, masked: false }, code: 1002 },
    {
      name: 'a 200 MiB length header',
      frame: { opcode: 0x2, announcedLength: 200 * 1024 * 1024 },
      code: 1009,
    },
    {
      name: 'a message one byte over 128 KiB',
      frame: { opcode: 0x1, payload: Buffer.alloc(API_LIMITS.wsMessageBytes + 1, 0x61) },
      code: 1009,
    },
    { name: 'a reserved opcode', frame: { opcode: 0x3, payload: text }, code: 1002 },
    { name: 'a fragmented ping', frame: { fin: false, opcode: 0x9, payload: text }, code: 1002 },
    { name: 'a ping of 126 bytes', frame: { opcode: 0x9, payload: Buffer.alloc(126) }, code: 1002 },
    { name: 'a continuation with nothing to continue', frame: { opcode: 0x0, payload: text }, code: 1002 },
  ] as const;

  it.each(frames)('$name → close $code', async ({ frame, code }) => {
    // Prepare
    const opened = await rawHandshake(url, `/ws?token=${tokenA}`);
    expect(opened.status).toBe(101);
    const raw = opened.raw;
    if (raw === undefined) throw new Error('no socket');
    // Act
    raw.send(encodeFrame(frame));
    const closeCode = await eventually(() => closeCodeOf(raw.received()), 'a close frame from the server');
    raw.socket.destroy();
    // Assess
    expect(closeCode).toBe(code);
    expect(dev.child.exitCode).toBeNull();
  });

  it('runs a job over HTTP and WebSocket after every bad frame', async () => {
    const jobId = await runJobOverSockets(url, `${url.replace(/^http/, 'ws')}/ws`, tokenA);
    expect(jobId).not.toBe('');
    expect(dev.child.exitCode).toBeNull();
    expect(dev.stdout()).not.toMatch(/Unhandled|uncaught/i);
  });
});

describe('stagecoach dev: hostile HTTP requests are refused before they cost anything', () => {
  let dir: string;
  let runtime: DevRuntime;
  const timeouts = { headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-hostile-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
      limits: timeouts,
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 400 to malformed percent-encoding on every route, with or without a token', async () => {
    const paths = [
      '/jobs/%ZZ',
      '/jobs/%E0%A4%A',
      '/blobs/%ZZ?X-Method=GET',
      '/assets/%ZZ',
      '/holds/%',
      '/%FF',
    ];
    for (const path of paths) {
      for (const token of [undefined, tokenA]) {
        const response = await rawRequest(runtime.url, {
          method: 'GET',
          path,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        expect(response.status, `${path} ${token ?? 'no token'}: ${response.body}`).toBe(400);
      }
    }
    // A connection id that is not one is gone, however it is encoded.
    expect(
      (await rawRequest(runtime.url, { method: 'POST', path: '/@connections/%ZZ', body: 'x' })).status,
    ).toBe(410);
  });

  it('refuses a body over 10 MiB with 413 before authentication, whether declared, chunked or expected', async () => {
    const before = await snapshot(runtime.backend, TENANTS);
    const over = Buffer.alloc(API_LIMITS.httpBodyBytes + 1, 0x20);
    const declared = await rawRequest(runtime.url, { method: 'POST', path: '/jobs', body: over });
    const chunked = await rawRequest(runtime.url, {
      method: 'POST',
      path: '/jobs',
      body: over,
      chunked: true,
    });
    const withToken = await rawRequest(runtime.url, {
      method: 'POST',
      path: '/jobs',
      body: over,
      headers: { authorization: `Bearer ${tokenA}` },
    });
    const expected = await rawBytes(
      runtime.url,
      `POST /jobs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${600 * 1024 * 1024}\r\n\r\n`,
      { keepOpen: true },
    );
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.message).toMatch(/10 MiB \(10485760-byte\) limit/);
    expect(chunked.status).toBe(413);
    expect(withToken.status).toBe(413);
    expect(expected.status).toBe(413);
    expect(await snapshot(runtime.backend, TENANTS)).toBe(before);
  });

  it('applies the body limit to routes that take no body too (a preflight, /health, the console)', async () => {
    const over = Buffer.alloc(API_LIMITS.httpBodyBytes + 1, 0x20);
    for (const [method, path] of [
      ['OPTIONS', '/jobs'],
      ['OPTIONS', '/blobs/x'],
      ['GET', '/health'],
      ['GET', '/'],
    ] as const) {
      const response = await rawRequest(runtime.url, { method, path, body: over, chunked: true });
      expect(response.status, `${method} ${path}`).toBe(413);
    }
    // Within the limit, a preflight is answered as ever.
    expect((await rawRequest(runtime.url, { method: 'OPTIONS', path: '/jobs', body: '{}' })).status).toBe(
      204,
    );
  });

  it('cuts off a client that is slow to send its headers or its body', async () => {
    // Each connection is only ended by the server, after the limits the gateway was given.
    const slowHeaders = await rawBytes(runtime.url, 'GET /jobs HTTP/1.1\r\nHost: x\r\n', { keepOpen: true });
    const slowBody = await rawBytes(
      runtime.url,
      `POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokenA}\r\nContent-Length: 100\r\n\r\n{"pip`,
      { keepOpen: true },
    );
    expect(slowHeaders.closed).toBe(true);
    expect([0, 408]).toContain(slowHeaders.status);
    expect(slowBody.status).toBe(408);
  });

  it('refuses deep or large JSON with 400 naming the limit, and stores nothing — also on replay', async () => {
    // Prepare: a failed job to replay (its document does not exist).
    const auth = { authorization: `Bearer ${tokenB}`, 'content-type': 'application/json' };
    const failed = (await (
      await fetch(`${runtime.url}/jobs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          pipeline: 'wordcount',
          entry_stage: 'count',
          params: { document_key: 'documents/none.txt' },
        }),
      })
    ).json()) as JobRecord;
    await eventually(
      async () =>
        (await runtime.jobs.get(failed.job_id, { tenantId: 'tenant-b' })).status === 'FAILED'
          ? true
          : undefined,
      'the job to fail',
    );
    const before = await snapshot(runtime.backend, TENANTS);
    // Act
    const deepSubmit = await rawRequest(runtime.url, {
      method: 'POST',
      path: '/jobs',
      headers: auth,
      body: `{"pipeline":"wordcount","params":{"text":${nested(4_500)}}}`,
    });
    const deepReplay = await rawRequest(runtime.url, {
      method: 'POST',
      path: `/jobs/${failed.job_id}/replay`,
      headers: auth,
      body: `{"params":{"x":${nested(6_000)}}}`,
    });
    const large = await rawRequest(runtime.url, {
      method: 'POST',
      path: '/jobs',
      headers: auth,
      body: JSON.stringify({ pipeline: 'wordcount', params: { text: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    // Assess
    expect(deepSubmit.status).toBe(400);
    expect(JSON.parse(deepSubmit.body).error).toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect(JSON.parse(deepSubmit.body).error.message).toContain('the limit is 32 levels');
    expect(deepReplay.status).toBe(400);
    expect(JSON.parse(deepReplay.body).error.code).toBe('JSON_TOO_DEEP');
    expect(large.status).toBe(400);
    expect(JSON.parse(large.body).error.message).toContain('the limit for JSON is 1 MiB');
    expect(await snapshot(runtime.backend, TENANTS)).toBe(before);
    const listed = await fetch(`${runtime.url}/jobs`, { headers: auth });
    expect(listed.status).toBe(200);
    expect((await fetch(`${runtime.url}/jobs/${failed.job_id}`, { headers: auth })).status).toBe(200);
  });

  it('refuses a handshake ws would refuse before $connect stores a connection', async () => {
    const stored = vi.spyOn(runtime.backend.store, 'putConnection');
    try {
      const badKey = await rawHandshake(runtime.url, `/ws?token=${tokenA}`, {
        'Sec-WebSocket-Key': 'short',
      }).catch(() => ({ status: 0 }));
      const noToken = await rawHandshake(runtime.url, '/ws');
      expect([0, 400]).toContain(badKey.status);
      expect(noToken.status).toBe(401);
      expect(stored).not.toHaveBeenCalled();
    } finally {
      stored.mockRestore();
    }
  });

  it('serves a normal job afterwards', async () => {
    expect(await runJobOverSockets(runtime.url, runtime.wsUrl, tokenA)).not.toBe('');
  });
});
