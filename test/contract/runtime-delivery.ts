import { describe, expect, it } from 'vitest';
import { envelopeOf, serializeEnvelope } from '../../lib/core/ports/index.js';
import { FaultyQueue } from '../support/faulty-queue.js';
import { eventually } from '../support/wait.js';
import { type Calls, type RuntimeFixture, tenant } from './runtime-suite.js';

/** At-least-once delivery with exactly-once effects: duplicates, lost forwards, malformed messages, crashes, redrive. */
export function describeRuntimeDelivery(f: RuntimeFixture): void {
  const { runtime, chain, outcomes } = f;
  describe('at-least-once delivery, exactly-once effects', () => {
    it('stores and forwards once when the same message is delivered twice', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('dupes', calls)], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'dupes', params: { item_id: 'd' } }, tenant);
      const body = serializeEnvelope(envelopeOf(job));
      // Concurrent copies race for the job's one conditional write; where the store's conditions
      // are not atomic (moto), the copy comes a little later instead.
      const delayMs = f.h.atomicConditionalWrites ? 0 : 1_500;
      await f.h.backend.queue.send(rt.topology.queueFor('dupes', 'a', 0), [{ body, delayMs }]);
      rt.start();
      await rt.jobs.waitFor(job.job_id, tenant);
      await eventually(() => outcomes.filter((o) => o.stage === 'a').length === 2, 'both copies handled');
      // Exactly once: the state, the events and the forward. Two copies that arrive together may
      // both run process() (its own effects are the stage's to make idempotent, with
      // ctx.idempotencyKey); only one of them is recorded and forwarded.
      const forStageA = outcomes.filter((o) => o.stage === 'a').map((o) => o.outcome);
      expect(forStageA.filter((o) => o === 'forwarded')).toHaveLength(1);
      expect(forStageA.every((o) => ['forwarded', 'busy', 'duplicate'].includes(o))).toBe(true);
      expect(calls.runs.filter((s) => s !== 'a')).toEqual(['b', 'c']);
      const log = (await rt.jobs.events(job.job_id, tenant)).items.map((e) => `${e.type}:${e.stage}`);
      expect(log.filter((e) => e === 'stage.completed:a')).toHaveLength(1);
      expect(await rt.jobs.attempts(job.job_id, tenant)).toHaveLength(3);
    });

    it('heals a crash between the state write and the forward when the message comes back', async () => {
      const calls: Calls = { runs: [] };
      const faulty = new FaultyQueue(f.h.backend.queue);
      const rt = await runtime([chain('heal', calls)], {
        backend: { ...f.h.backend, queue: faulty },
        start: false,
      });
      faulty.failSends(rt.topology.queueFor('heal', 'b', 0));
      rt.start();
      const job = await rt.jobs.submit({ pipeline: 'heal', params: { item_id: 'h' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 90_000 });
      expect(done.status).toBe('DONE');
      expect(calls.runs).toEqual(['a', 'b', 'c']);
      // The job reads DONE as soon as the last stage's write lands; its outcome is reported after.
      await eventually(() => outcomes.some((o) => o.stage === 'c'), "the last stage's outcome");
      expect(outcomes.map((o) => `${o.stage}:${o.outcome}`)).toEqual(
        expect.arrayContaining(['a:error', 'a:healed', 'b:forwarded', 'c:done']),
      );
    });

    it('dead-letters a malformed message with its reason and keeps working', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('malformed', calls)]);
      const queue = rt.topology.queueFor('malformed', 'a', 0);
      await f.h.backend.queue.send(queue, [
        { body: 'not json at all' },
        { body: JSON.stringify({ job_id: 'j-bad', hop: 'x' }) },
      ]);
      const job = await rt.jobs.submit({ pipeline: 'malformed', params: { item_id: 'ok' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      const dead = await eventually(async () => {
        // Malformed messages name no tenant: they are kept apart from every tenant's.
        const all = (await f.h.backend.store.listDeadLetters({ tenant_id: null, limit: 1_000 })).items;
        const mine = all.filter((d) => d.queue === queue);
        return mine.length === 2 ? mine : undefined;
      }, 'two dead letters');
      expect(done.status).toBe('DONE');
      expect(dead.map((d) => d.code).sort()).toEqual(['CONTRACT_MALFORMED', 'CONTRACT_MALFORMED']);
      expect(dead.find((d) => d.body === 'not json at all')?.reason).toMatch(/not valid JSON/);
      expect(dead.find((d) => d.job_id === 'j-bad')?.reason).toMatch(/hop: .*; /);
    });

    it('takes over a crashed attempt when its message comes back, counting it against the retries', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('crash', calls)], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'crash', params: { item_id: 'c' } }, tenant);
      // A worker claims the stage, then dies: its lease runs out and its message re-appears.
      await f.h.backend.queue.receive(rt.topology.queueFor('crash', 'a', 0), {
        maxMessages: 1,
        waitTimeMs: 2_000,
      });
      await f.h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { status: ['QUEUED'] },
        set: { status: 'RUNNING', lease: { owner: 'dead-worker', expires_at: Date.now() + 500 } },
      });
      rt.start();
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 90_000 });
      expect(done.status).toBe('DONE');
      expect(calls.runs).toEqual(['a', 'b', 'c']);
      const attempts = await rt.jobs.attempts(job.job_id, tenant);
      expect(attempts.map((a) => `${a.stage}:${a.attempt}:${a.outcome}`).slice(0, 2)).toEqual([
        'a:1:crashed',
        'a:2:completed',
      ]);
    });

    it('fails a job whose stage keeps crashing, once the retries are used up', async () => {
      const rt = await runtime([chain('crashloop', { runs: [] })], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'crashloop', params: { item_id: 'c' } }, tenant);
      await f.h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { status: ['QUEUED'] },
        set: {
          status: 'RUNNING',
          retry_count: 2,
          lease: { owner: 'dead-worker', expires_at: Date.now() - 1 },
        },
      });
      rt.start();
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'STAGE_CRASHED', dead_lettered: true, stage: 'a' });
    });

    it('fails the job when the queue dead-letters its message after maxReceiveCount receives', async () => {
      const rt = await runtime([chain('redrive', { runs: [] })], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'redrive', params: { item_id: 'r' } }, tenant);
      const queue = rt.topology.queueFor('redrive', 'a', 0);
      const { maxReceiveCount } = rt.topology.stageQueues('redrive', 'a');
      await eventually(async () => {
        await f.h.backend.queue.receive(queue, { maxMessages: 1, waitTimeMs: 0, visibilityTimeoutMs: 0 });
        return (await f.h.backend.queue.depth(rt.topology.stageQueues('redrive', 'a').dlq)).visible > 0;
      }, `the message to be received ${maxReceiveCount} times and redriven`);
      rt.start();
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'RECEIVE_LIMIT', dead_lettered: true });
      expect(failed.error?.message).toMatch(/crashed, timed out or was killed repeatedly/);
    });
  });
}
