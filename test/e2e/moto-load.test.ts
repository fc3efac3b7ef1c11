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
import { eventually } from '../support/wait.js';

// Black-box, as a client sees `stagecoach dev --backend moto`: many jobs submitted over HTTP at
// once, a tenant-stream subscriber on a WebSocket. Every job reaches DONE, and every event stored
// in every job's log reaches the subscriber (copies removed by event id), whatever the emulator's
// latency does to leases and deliveries.
const [token] = Object.keys(DEFAULT_TOKENS.tokens);

describe.skipIf(motoEndpoint() === undefined)('many jobs at once on moto (dev runtime)', () => {
  let runtime: DevRuntime;
  let dir: string;
  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${runtime.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-load-'));
    runtime = await DevRuntime.start({
      backend: 'moto',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
      prefix: `load${Date.now() % 100_000}-`,
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(jobs: number, concurrency: number): Promise<void> {
    // Prepare: the tenant's stream, watched
    const ws = new WebSocket(`${runtime.wsUrl}?token=${token}`);
    const received = new Map<string, JobEvent>();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; event?: JobEvent };
      if (m.type !== 'event' || m.event === undefined) return;
      received.set(m.event.event_id, m.event);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ action: 'subscribe', stream: 'tenant' }));
    // Act: `jobs` submits, `concurrency` at a time
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs) {
          const n = next++;
          const res = await api('/jobs', {
            method: 'POST',
            body: JSON.stringify({
              pipeline: 'wordcount',
              params: { document_id: `d${n}`, text: `a b b c ${n}` },
            }),
          });
          expect(res.status).toBe(201);
          ids.push(((await res.json()) as { job_id: string }).job_id);
        }
      }),
    );
    const done = async (id: string) =>
      ((await (await api(`/jobs/${id}`)).json()) as { status: string }).status;
    await eventually(
      async () => (await Promise.all(ids.map(done))).every((s) => s === 'DONE'),
      `all ${jobs} jobs DONE`,
      jobs * 5_000,
    );
    // Assess: every stored event reached the subscriber
    const stored: JobEvent[] = [];
    for (const id of ids) {
      stored.push(
        ...((await (await api(`/jobs/${id}/events?limit=1000`)).json()) as { items: JobEvent[] }).items,
      );
    }
    const missing = await eventually(() => {
      const left = stored.filter((e) => !received.has(e.event_id));
      return left.length === 0 ? left : undefined;
    }, 'every stored event on the tenant stream').catch(() =>
      stored.filter((e) => !received.has(e.event_id)),
    );
    ws.close();
    expect(ids).toHaveLength(jobs);
    expect(missing.map((e) => `${e.job_id} ${e.type} ${e.stage}`)).toEqual([]);
    expect(stored.length).toBeGreaterThanOrEqual(jobs * 8);
  }

  // moto_server is single-threaded Python and slows as its tables grow: npm test runs a fifth of
  // the sizes (200 jobs at 50, 100 at 5); STAGECOACH_LOAD_SCALE=1 runs them whole.
  const scale = Number(process.env.STAGECOACH_LOAD_SCALE ?? 0.2);
  const wide = Math.max(10, Math.round(200 * scale));
  const narrow = Math.max(5, Math.round(100 * scale));

  it(`runs ${wide} jobs submitted 50 at a time to DONE, every stored event streamed`, {
    timeout: wide * 6_000,
  }, async () => {
    await run(wide, 50);
  });

  it(`runs ${narrow} jobs submitted 5 at a time to DONE, every stored event streamed`, {
    timeout: narrow * 6_000,
  }, async () => {
    await run(narrow, 5);
  });
});
