import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { ReconcilerOptions } from '../../../../lib/core/control/index.js';
import type { JobRecord } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

const caller = { tenantId: 'acme' };
const pipeline = definePipeline({
  name: 'docs',
  stages: ['read', 'write'].map((name) =>
    defineStage({ name, inputs: { doc: required }, outputs: ['doc'], process: ({ doc }) => ({ doc }) }),
  ),
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function setup(reconcile: ReconcilerOptions = { graceMs: 1 }) {
  runtime = await Runtime.create({
    backend: createMemoryBackend(),
    pipelines: [pipeline],
    reconcile,
    pool: { holdSweepMs: 0 },
  });
  const r = runtime;
  const queue = r.topology.queueFor('docs', 'read', 0);
  /** Takes every message off the stage's queue: what a purge, or a lost message, leaves behind. */
  const loseMessages = async (): Promise<number> => {
    const got = await r.backend.queue.receive(queue, { maxMessages: 10, waitTimeMs: 0 });
    await r.backend.queue.delete(
      queue,
      got.map((m) => m.receiptHandle),
    );
    return got.length;
  };
  const depth = async () => {
    const d = await r.backend.queue.depth(queue);
    return d.visible + d.inFlight + d.delayed;
  };
  /** Lets the clock pass the 1 ms grace. */
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
  const submit = (job_id: string, tags: Record<string, string> = {}) =>
    r.jobs.submit({ pipeline: 'docs', job_id, tags, params: { doc: 'd' } }, caller);
  const force = async (job: JobRecord, set: Parameters<typeof r.backend.store.transition>[2]['set']) => {
    const result = await r.backend.store.transition('acme', job.job_id, {
      expect: { version: job.version },
      set,
    });
    expect(result.ok).toBe(true);
  };
  return { r, loseMessages, depth, tick, submit, force };
}

describe('Reconciler', () => {
  it('re-sends the message of a QUEUED job whose queue is empty, and the job then runs', async () => {
    const { r, loseMessages, depth, tick, submit } = await setup();
    await submit('lost');
    expect(await loseMessages()).toBe(1);
    await tick();
    const report = await r.deployment.maintain();
    expect(report).toMatchObject({ resent: 1, released: 0 });
    expect(await depth()).toBe(1);
    r.start();
    expect((await r.jobs.waitFor('lost', caller)).status).toBe('DONE');
  });

  it('leaves a job alone while its message is still in the queue', async () => {
    const { r, depth, tick, submit } = await setup();
    await submit('fine');
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 0 });
    expect(await depth()).toBe(1);
  });

  it('leaves a job alone within the grace, however empty its queue', async () => {
    const { r, loseMessages, submit } = await setup({ graceMs: 3_600_000 });
    await submit('young');
    await loseMessages();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 0, examined: 0 });
  });

  it('re-sends for a RUNNING job whose lease expired with no delivery left: the runner takes it over', async () => {
    const { r, loseMessages, tick, submit, force } = await setup();
    const job = await submit('crashed');
    await loseMessages();
    await force(job, {
      status: 'RUNNING',
      lease: { owner: 'dead-worker', expires_at: Date.now() - 60_000 },
      updated_at: new Date(Date.now() - 60_000).toISOString(),
    });
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 1 });
    r.start();
    const done = await r.jobs.waitFor('crashed', caller);
    expect(done.status).toBe('DONE');
    const attempts = await r.jobs.attempts('crashed', caller);
    expect(attempts.find((a) => a.stage === 'read' && a.outcome === 'crashed')).toBeDefined();
  });

  it('leaves a RUNNING job with a live lease alone', async () => {
    const { r, loseMessages, tick, submit, force } = await setup();
    const job = await submit('busy');
    await loseMessages();
    await force(job, { status: 'RUNNING', lease: { owner: 'w', expires_at: Date.now() + 3_600_000 } });
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 0 });
  });

  it('re-sends for a RETRY_WAITING job once its retry is due, not before', async () => {
    const { r, loseMessages, depth, tick, submit, force } = await setup();
    const job = await submit('retry');
    await loseMessages();
    await force(job, { status: 'RETRY_WAITING', retry_at: new Date(Date.now() + 3_600_000).toISOString() });
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 0 });
    const waiting = await r.jobs.get('retry', caller);
    await force(waiting, { retry_at: new Date(Date.now() - 1_000).toISOString() });
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 1 });
    expect(await depth()).toBe(1);
  });

  it('puts a job HELD by a hold that is gone back on its queue', async () => {
    const { r, loseMessages, tick, submit, force } = await setup();
    const job = await submit('orphan');
    await loseMessages();
    await force(job, { status: 'HELD', held_by: 'a-hold-that-is-gone' });
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ released: 1 });
    r.start();
    expect((await r.jobs.waitFor('orphan', caller)).status).toBe('DONE');
    const events = await r.jobs.events('orphan', caller);
    expect(events.items.map((e) => e.type)).toContain('job.resumed');
  });

  it('re-sends a stale job even while its queue is busy, once per period', async () => {
    const { r, loseMessages, tick, submit, force } = await setup({ graceMs: 1, staleAfterMs: 60_000 });
    const job = await submit('stale');
    await loseMessages();
    await force(job, { updated_at: new Date(Date.now() - 120_000).toISOString() });
    await submit('keeps-the-queue-busy');
    await tick();
    expect(await r.deployment.maintain()).toMatchObject({ resent: 1 });
    expect(await r.deployment.maintain()).toMatchObject({ resent: 0 });
    r.start();
    expect((await r.jobs.waitFor('stale', caller)).status).toBe('DONE');
  });
});
