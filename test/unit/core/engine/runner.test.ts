import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBackend, type MemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { DeadLetterHandler, eventsOf, StageRunner, Topology } from '../../../../lib/core/engine/index.js';
import type { JobRecord } from '../../../../lib/core/ports/index.js';
import { ManualClock, serializeEnvelope } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { envelope, jobRecord, received } from '../../../support/factories.js';

const a = defineStage({ name: 'a', inputs: {}, outputs: ['x'], process: () => ({ x: 1 }) });
const b = defineStage({ name: 'b', inputs: {}, outputs: [], process: () => ({}) });
const pipeline = definePipeline({ name: 'p', stages: [a, b] });

let backend: MemoryBackend;
let topology: Topology;
let runner: StageRunner;
let clock: ManualClock;
const source = { queue: 'p-a' };

async function seed(job: Partial<JobRecord>): Promise<JobRecord> {
  const record = jobRecord({ pipeline: 'p', exit_stage: 'b', ...job });
  await backend.store.createJob(record);
  return record;
}

const bodyOf = (job: JobRecord, overrides = {}) =>
  serializeEnvelope(envelope({ ...job, ...overrides, pipeline: 'p', exit_stage: 'b' }));

beforeEach(async () => {
  backend = createMemoryBackend();
  topology = new Topology([pipeline]);
  for (const spec of topology.specs()) await backend.queue.ensureQueue(spec);
  clock = new ManualClock('2026-06-01T00:00:00.000Z');
  runner = new StageRunner(pipeline, a, { backend, topology, workerId: 'w1', clock, orphanGraceMs: 30_000 });
});

const dlqBodies = async () =>
  (await backend.queue.receive('p-a-dlq', { maxMessages: 10, waitTimeMs: 0 })).map((m) => m.attributes);

describe('StageRunner edge cases', () => {
  it('dead-letters a message meant for another stage', async () => {
    const job = await seed({});
    const result = await runner.handle(received(bodyOf(job, { stage: 'b' })), source);
    expect(result).toEqual({ action: 'delete', outcome: 'dead-lettered' });
    const [attrs] = await dlqBodies();
    expect(attrs?.dead_letter_code).toBe('MISROUTED');
    expect(attrs?.dead_letter_reason).toMatch(/is for 'p\/b' but arrived on 'p-a'/);
  });

  it('waits a little for a job that does not exist yet (a submit sends before it writes), then drops the message', async () => {
    const body = serializeEnvelope(envelope({ pipeline: 'p' }));
    const fresh = await runner.handle(received(body, { sentAt: clock.now() }), source);
    const old = await runner.handle(received(body, { sentAt: clock.now() - 31_000 }), source);
    expect(fresh).toMatchObject({ action: 'release', outcome: 'waiting' });
    expect(old).toEqual({ action: 'delete', outcome: 'orphaned' });
    expect(await dlqBodies()).toEqual([]);
  });

  it('waits a little for a job to reach the hop of its message (a resume sends before it writes), then drops it', async () => {
    const job = await seed({ hop: 0 });
    const fresh = await runner.handle(
      received(bodyOf(job, { hop: 1 }), { sentAt: clock.now() - 1_000 }),
      source,
    );
    const old = await runner.handle(
      received(bodyOf(job, { hop: 4 }), { sentAt: clock.now() - 60_000 }),
      source,
    );
    expect(fresh.outcome).toBe('waiting');
    // On the manual clock the wait is exact: the first wait (2 s), well inside the 30 s grace.
    expect(fresh).toMatchObject({ action: 'release', delayMs: 2_000 });
    expect(old.outcome).toBe('orphaned');
    expect(await dlqBodies()).toEqual([]);
  });

  it('dead-letters a message whose stage does not match its job at the same hop', async () => {
    const job = await seed({ hop: 0, stage: 'b' });
    await runner.handle(received(bodyOf(job, { hop: 0, stage: 'a' })), source);
    expect((await dlqBodies())[0]?.dead_letter_code).toBe('STATE_MISMATCH');
  });

  it('defers a message whose not_before is in the future, without running the stage', async () => {
    const job = await seed({});
    const notBefore = new Date(clock.now() + 60 * 60_000).toISOString();
    const result = await runner.handle(received(bodyOf(job, { not_before: notBefore })), source);
    const depth = await backend.queue.depth('p-a');
    expect(result.outcome).toBe('deferred');
    expect(depth.delayed).toBe(1);
    expect((await backend.store.getJob(job.tenant_id, job.job_id))?.status).toBe('QUEUED');
  });

  it('drops an old duplicate without re-sending anything', async () => {
    const job = await seed({ hop: 5, stage: 'b', status: 'QUEUED' });
    const result = await runner.handle(received(bodyOf(job, { hop: 1, stage: 'a' })), source);
    expect(result.outcome).toBe('duplicate');
    expect((await backend.queue.depth('p-b')).visible).toBe(0);
  });

  it('re-sends the forward when the job waits for exactly the send this message should have made', async () => {
    const job = await seed({ hop: 1, stage: 'b', status: 'QUEUED' });
    const result = await runner.handle(received(bodyOf(job, { hop: 0, stage: 'a' })), source);
    const [forward] = await backend.queue.receive('p-b', { maxMessages: 1, waitTimeMs: 0 });
    expect(result.outcome).toBe('healed');
    expect(JSON.parse(forward?.body ?? '{}')).toMatchObject({ stage: 'b', hop: 1, job_id: job.job_id });
  });

  it('deletes a copy while another worker holds a live lease (its own message returns if it dies)', async () => {
    const job = await seed({ status: 'RUNNING', lease: { owner: 'w2', expires_at: clock.now() + 5_000 } });
    const result = await runner.handle(received(bodyOf(job)), source);
    expect(result).toEqual({ action: 'delete', outcome: 'busy' });
    expect((await backend.store.getJob(job.tenant_id, job.job_id))?.version).toBe(job.version);
  });

  it('completes a stage that ends before it is claimed with one write that is its whole record', async () => {
    const job = await seed({});
    const result = await runner.handle(received(bodyOf(job)), source);
    const stored = await backend.store.getJob(job.tenant_id, job.job_id);
    expect(result.outcome).toBe('forwarded');
    expect(stored).toMatchObject({ status: 'QUEUED', stage: 'b', hop: 1, version: 2, params: { x: 1 } });
    expect(stored?.history).toEqual([
      expect.objectContaining({
        kind: 'run',
        stage: 'a',
        hop: 0,
        attempt: 1,
        worker: 'w1',
        outcome: 'completed',
      }),
    ]);
    expect(stored === undefined ? [] : eventsOf(stored).map((e) => e.type)).toEqual([
      'job.created',
      'stage.started',
      'stage.completed',
    ]);
    const [forward] = await backend.queue.receive('p-b', { maxMessages: 1, waitTimeMs: 0 });
    expect(JSON.parse(forward?.body ?? '{}')).toMatchObject({ stage: 'b', hop: 1, stage_hop: 1 });
  });

  it('parks the message of a paused or held job', async () => {
    const paused = await seed({ status: 'PAUSED' });
    const held = await seed({ status: 'HELD' });
    expect((await runner.handle(received(bodyOf(paused)), source)).outcome).toBe('parked');
    expect((await runner.handle(received(bodyOf(held)), source)).outcome).toBe('parked');
  });
});

describe('DeadLetterHandler', () => {
  const handler = () => new DeadLetterHandler({ backend, topology });

  it('fails the job of a message the queue redrove, with the reason', async () => {
    const job = await seed({});
    const record = await handler().handle(received(bodyOf(job), { receiveCount: 6 }), 'p-a-dlq');
    const failed = await backend.store.getJob(job.tenant_id, job.job_id);
    expect(record).toMatchObject({
      code: 'RECEIVE_LIMIT',
      stage: 'a',
      pipeline: 'p',
      job_id: job.job_id,
      tenant_id: job.tenant_id,
    });
    expect(failed?.status).toBe('FAILED');
    expect(failed?.error).toMatchObject({ code: 'RECEIVE_LIMIT', dead_lettered: true });
    expect(failed?.expires_at).toBeGreaterThan(0);
    expect(failed === undefined ? [] : eventsOf(failed).map((e) => e.type)).toEqual([
      'job.created',
      'job.failed',
    ]);
  });

  it('only records a message the runner dead-lettered itself', async () => {
    const job = await seed({});
    await handler().handle(
      received(bodyOf(job), {
        attributes: { dead_letter_code: 'MISROUTED', dead_letter_reason: 'wrong queue' },
      }),
      'p-a-dlq',
    );
    expect((await backend.store.getJob(job.tenant_id, job.job_id))?.status).toBe('QUEUED');
    const listed = await backend.store.listDeadLetters({ tenant_id: job.tenant_id, job_id: job.job_id });
    expect(listed.items[0]?.reason).toBe('wrong queue');
  });

  it('does not fail a job a live worker is running, nor one that moved on', async () => {
    const running = await seed({ status: 'RUNNING', lease: { owner: 'w', expires_at: Date.now() + 60_000 } });
    const movedOn = await seed({ hop: 3 });
    await handler().handle(received(bodyOf(running)), 'p-a-dlq');
    await handler().handle(received(bodyOf(movedOn, { hop: 1 })), 'p-a-dlq');
    expect((await backend.store.getJob(running.tenant_id, running.job_id))?.status).toBe('RUNNING');
    expect((await backend.store.getJob(movedOn.tenant_id, movedOn.job_id))?.status).toBe('QUEUED');
  });

  it('records an unparseable message without a job', async () => {
    const record = await handler().handle(received('\u0000garbage'), 'p-a-dlq');
    expect(record.job_id).toBeUndefined();
    expect((await backend.store.listDeadLetters({ tenant_id: null })).items).toHaveLength(1);
  });
});

describe('StageRunner tenant views', () => {
  it("gives each run its tenant's storage, kept per tenant and frozen so no run can change another's", async () => {
    const tampered: string[] = [];
    const writer = defineStage({
      name: 'a',
      inputs: {},
      outputs: [],
      process: async (_inputs, ctx) => {
        await ctx.storage.put(`out/${ctx.job.job_id}.txt`, ctx.job.tenant_id);
        try {
          Object.assign(ctx.storage, { get: () => Promise.resolve(new Uint8Array()) });
        } catch (error) {
          tampered.push(error instanceof TypeError ? 'refused' : 'other');
        }
        return {};
      },
    });
    const p = definePipeline({ name: 'p', stages: [writer, b] });
    const run = new StageRunner(p, writer, {
      backend,
      topology,
      workerId: 'w1',
      clock,
      orphanGraceMs: 30_000,
    });
    const jobs = [
      await seed({ tenant_id: 't1', job_id: 'j1' }),
      await seed({ tenant_id: 't1', job_id: 'j2' }),
      await seed({ tenant_id: 't2', job_id: 'j3' }),
    ];
    for (const job of jobs) {
      expect((await run.handle(received(bodyOf(job)), source)).outcome).toBe('forwarded');
    }
    expect(tampered).toEqual(['refused', 'refused', 'refused']);
    const text = async (key: string) => new TextDecoder().decode(await backend.blobs.get(key));
    expect(await text('tenants/t1/out/j1.txt')).toBe('t1');
    expect(await text('tenants/t1/out/j2.txt')).toBe('t1');
    expect(await text('tenants/t2/out/j3.txt')).toBe('t2');
    expect((await backend.blobs.list('tenants/t2/')).map((i) => i.key)).toEqual(['tenants/t2/out/j3.txt']);
  });
});
