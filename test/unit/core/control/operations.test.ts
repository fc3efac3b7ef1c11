import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { HttpApi, opsRoutes } from '../../../../lib/core/api/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { eventually } from '../../../support/wait.js';

const alice: Caller = { tenantId: 'tenant-a' };
const bob: Caller = { tenantId: 'tenant-b' };

/** fetch → store; `store` fails for good when params.broken is set. */
const pipeline = definePipeline({
  name: 'ops',
  stages: [
    defineStage({
      name: 'fetch',
      inputs: { item_id: required },
      outputs: ['fetched'],
      process: async ({ item_id }) => ({ fetched: `f-${String(item_id)}` }),
    }),
    defineStage({
      name: 'store',
      inputs: { fetched: required, broken: z.boolean().default(false) },
      outputs: ['stored'],
      retry: { maxRetries: 0 },
      process: async ({ broken }) => {
        if (broken) throw new Error('the archive refused the item');
        return { stored: true };
      },
    }),
  ],
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function start(): Promise<{ rt: Runtime; api: HttpApi }> {
  const rt = await Runtime.create({ pipelines: [pipeline], backend: createMemoryBackend() });
  runtime = rt.start();
  const api = new HttpApi(opsRoutes({ backend: rt.backend, topology: rt.topology, jobs: rt.jobs }));
  return { rt, api };
}

describe('operations API', () => {
  it('GET /queues: every stage with its lanes and DLQ, the caller’s jobs and its throughput', async () => {
    // Prepare: two of Alice's jobs finish, one of Bob's too.
    const { rt, api } = await start();
    for (const [caller, item] of [
      [alice, 'a1'],
      [alice, 'a2'],
      [bob, 'b1'],
    ] as const) {
      const job = await rt.jobs.submit({ pipeline: 'ops', params: { item_id: item } }, caller);
      await rt.jobs.waitFor(job.job_id, caller);
    }

    // Act
    const res = await api.handle({
      method: 'GET',
      path: '/queues',
      query: { window_minutes: '5' },
      caller: alice,
    });

    // Assess: both stages, each with one lane and a DLQ; Alice's completions only.
    expect(res.status).toBe(200);
    const body = res.body as {
      window_minutes: number;
      stages: {
        stage: string;
        lanes: { visible: number }[];
        dead_letter_queue: { queue: string };
        throughput: { total: number; per_minute: number[] };
      }[];
    };
    expect(body.window_minutes).toBe(5);
    expect(body.stages.map((s) => s.stage)).toEqual(['fetch', 'store']);
    for (const stage of body.stages) {
      expect(stage.lanes).toHaveLength(1);
      expect(stage.lanes[0]?.visible).toBe(0);
      expect(stage.dead_letter_queue.queue).toBe(`ops-${stage.stage}-dlq`);
      expect(stage.throughput.total).toBe(2);
      expect(stage.throughput.per_minute).toHaveLength(5);
    }
  });

  it('counts queued messages and tells the oldest one’s age on the memory queue', async () => {
    // Prepare: no worker runs, so the submitted job waits in the fetch queue.
    const rt = await Runtime.create({ pipelines: [pipeline], backend: createMemoryBackend() });
    const api = new HttpApi(opsRoutes({ backend: rt.backend, topology: rt.topology, jobs: rt.jobs }));
    await rt.jobs.submit({ pipeline: 'ops', params: { item_id: 'w' } }, alice);

    // Act
    const res = await api.handle({ method: 'GET', path: '/queues', query: {}, caller: alice });
    const bobs = await api.handle({ method: 'GET', path: '/queues', query: {}, caller: bob });

    // Assess: the depth is the deployment's; the job count is the caller's own.
    const fetch = (
      res.body as {
        stages: { lanes: { visible: number; oldest_age_s?: number }[]; jobs: Record<string, number> }[];
      }
    ).stages[0];
    expect(fetch?.lanes[0]?.visible).toBe(1);
    expect(fetch?.lanes[0]?.oldest_age_s).toBeGreaterThanOrEqual(0);
    expect(fetch?.jobs).toEqual({ QUEUED: 1 });
    const bobFetch = (
      bobs.body as { stages: { lanes: { visible: number }[]; jobs: Record<string, number> }[] }
    ).stages[0];
    expect(bobFetch?.lanes[0]?.visible).toBe(1);
    expect(bobFetch?.jobs).toEqual({});
  });

  it('lists the caller’s dead letters and redrives one; another tenant’s is a 404', async () => {
    // Prepare: a job that fails for good at `store` is dead-lettered with its reason.
    const { rt, api } = await start();
    const job = await rt.jobs.submit({ pipeline: 'ops', params: { item_id: 'x', broken: true } }, alice);
    await rt.jobs.waitFor(job.job_id, alice);
    const letters = await eventually(async () => {
      const res = await api.handle({ method: 'GET', path: '/dead-letters', query: {}, caller: alice });
      const items = (
        res.body as {
          items: {
            dead_letter_id: string;
            job_id: string;
            stage: string;
            reason: string;
            job_status: string;
          }[];
        }
      ).items;
      return items.length > 0 ? items : undefined;
    }, 'the dead letter');
    const letter = letters[0];
    if (letter === undefined) throw new Error('no dead letter');

    // Act
    const other = await api.handle({
      method: 'POST',
      path: `/dead-letters/${letter.dead_letter_id}/redrive`,
      query: {},
      caller: bob,
    });
    const bobsList = await api.handle({ method: 'GET', path: '/dead-letters', query: {}, caller: bob });
    const redriven = await api.handle({
      method: 'POST',
      path: `/dead-letters/${letter.dead_letter_id}/redrive`,
      query: {},
      caller: alice,
    });

    // Assess
    expect(letter).toMatchObject({ job_id: job.job_id, stage: 'store', job_status: 'FAILED' });
    expect(letter.reason).toContain('the archive refused the item');
    expect(other.status).toBe(404);
    expect((bobsList.body as { items: unknown[] }).items).toEqual([]);
    expect(redriven.status).toBe(202);
    expect((redriven.body as { job: { status: string; stage: string } }).job).toMatchObject({
      status: 'QUEUED',
      stage: 'store',
    });
    const again = await rt.jobs.waitFor(job.job_id, alice);
    expect(again.status).toBe('FAILED');
  });
});
