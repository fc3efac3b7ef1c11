import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsClient } from '../../../lib/client/jobs.js';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';

/**
 * A proxy in front of the dev runtime that forwards every request but, for the first `drop`
 * submits, cuts the connection instead of passing the answer back: the job was made, the client
 * never heard.
 */
function lossyProxy(
  target: string,
  drop: number,
): Promise<{ url: string; server: Server; dropped: () => number }> {
  let dropped = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const upstream = request(
        `${target}${req.url ?? '/'}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            if (req.method === 'POST' && req.url === '/jobs' && dropped < drop) {
              dropped += 1;
              res.socket?.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      upstream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
        dropped: () => dropped,
      }),
    ),
  );
}

describe('submit is idempotent end to end', () => {
  let runtime: DevRuntime;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-idem-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a submit whose answer is lost is sent again and makes one job', async () => {
    const proxy = await lossyProxy(runtime.url, 2);
    try {
      const client = new JobsClient({ url: proxy.url, token: 'dev-token-tenant-a' });
      const before = (await runtime.jobs.list({ tenantId: 'tenant-a' }, { limit: 1000 })).items.length;
      const job = await client.submit({
        pipeline: 'wordcount',
        params: { document_id: 'a', text: 'one two' },
      });
      expect(proxy.dropped()).toBe(2);
      const after = (await runtime.jobs.list({ tenantId: 'tenant-a' }, { limit: 1000 })).items;
      expect(after.length - before).toBe(1);
      expect(after.map((j) => j.job_id)).toContain(job.job_id);
    } finally {
      proxy.server.close();
    }
  });

  it('answers 201 then 200 for one Idempotency-Key, 409 when the request differs, 400 for a bad key', async () => {
    const post = (key: string, params: Record<string, unknown>) =>
      fetch(`${runtime.url}/jobs`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer dev-token-tenant-a',
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ pipeline: 'wordcount', params }),
      });
    const key = `key-${Date.now()}`;
    const first = await post(key, { document_id: 'a', text: 'one two' });
    const again = await post(key, { document_id: 'a', text: 'one two' });
    expect([first.status, again.status]).toEqual([201, 200]);
    const [a, b] = (await Promise.all([first.json(), again.json()])) as { job_id: string }[];
    expect(b?.job_id).toBe(a?.job_id);
    const differs = await post(key, { document_id: 'b', text: 'one two' });
    expect(differs.status).toBe(409);
    expect(JSON.stringify(await differs.json())).toContain('params');
    const bad = await post('caf\u00e9 key', { document_id: 'a', text: 'one two' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_IDEMPOTENCY_KEY');
  });
});
