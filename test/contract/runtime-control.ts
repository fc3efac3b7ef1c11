import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobRecord } from '../../lib/core/ports/index.js';
import { tenantTopic, ValidationError } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../lib/core/sdk/index.js';
import { uniquePrefix } from '../support/factories.js';
import { delay, eventually } from '../support/wait.js';
import { type Calls, FAST, type RuntimeFixture, tenant } from './runtime-suite.js';

/** Timeouts and cancellation, holds and priorities, progress and graceful stop. */
export function describeRuntimeControl(f: RuntimeFixture): void {
  const { runtime, events, ofJob, chain, outcomes } = f;
  describe('timeouts and cancellation', () => {
    const waitForSignal = (signal: AbortSignal): Promise<never> =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );

    it('times a stage out through its AbortSignal, and retries it as a transient failure', async () => {
      let runs = 0;
      const pipeline = definePipeline({
        name: 'timeouts',
        stages: [
          defineStage({
            name: 'slow',
            inputs: {},
            outputs: ['ok'],
            timeoutMs: 200,
            retry: { maxRetries: 1, backoff: FAST },
            async process(_inputs, ctx) {
              runs += 1;
              return waitForSignal(ctx.signal);
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'timeouts' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(runs).toBe(2);
      expect(failed.error).toMatchObject({ code: 'STAGE_TIMEOUT', retryable: true });
      expect(failed.error?.message).toMatch(/did not finish within its 200 ms timeout/);
    });

    it('stops waiting for a stage that ignores its signal once the grace period is over; it keeps its slot', async () => {
      let release: (() => void) | undefined;
      const pipeline = definePipeline({
        name: 'stubborn',
        stages: [
          defineStage({
            name: 'deaf',
            inputs: {},
            outputs: ['ok'],
            timeoutMs: 100,
            retry: { maxRetries: 0 },
            compute: { concurrency: 1 },
            process: () =>
              new Promise<{ ok: number }>((resolve) => {
                release = () => resolve({ ok: 1 });
              }),
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'stubborn' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.error?.code).toBe('STAGE_TIMEOUT');
      // The stage still runs: its slot stays taken, so no second stage starts in its place.
      await eventually(() => rt.pool.zombies === 1, 'the stage to keep its slot');
      const next = await rt.jobs.submit({ pipeline: 'stubborn' }, tenant);
      expect((await rt.jobs.get(next.job_id, tenant)).status).toBe('QUEUED');
      release?.();
      await eventually(() => rt.pool.zombies === 0, 'the slot to be freed once the stage ends');
      await rt.jobs.waitFor(next.job_id, tenant, { statuses: ['FAILED', 'DONE'] });
    });

    it('aborts a running stage through its AbortSignal', async () => {
      let sawAbort = false;
      const pipeline = definePipeline({
        name: 'abortable',
        stages: [
          defineStage({
            name: 'long',
            inputs: {},
            outputs: ['ok'],
            heartbeatMs: 50,
            async process(_inputs, ctx) {
              ctx.progress(10, 'started');
              try {
                return await waitForSignal(ctx.signal);
              } finally {
                sawAbort = ctx.signal.aborted;
              }
            },
          }),
        ],
      });
      const collector = await events();
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'abortable' }, tenant);
      await eventually(async () => (await rt.jobs.get(job.job_id, tenant)).status === 'RUNNING', 'RUNNING');
      await rt.jobs.abort(job.job_id, tenant, 'user clicked abort');
      const aborted = await rt.jobs.waitFor(job.job_id, tenant);
      expect(aborted.status).toBe('ABORTED');
      expect(sawAbort).toBe(true);
      expect((await rt.jobs.attempts(job.job_id, tenant)).map((a) => a.outcome)).toEqual(['aborted']);
      const abortedEvent = await eventually(
        () => ofJob(collector, job).find((e) => e.type === 'job.aborted'),
        'job.aborted',
      );
      expect(abortedEvent.data?.reason).toBe('user clicked abort');
    });

    it('aborts a queued job at once; its message is then skipped', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('abortq', calls)], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'abortq', params: { item_id: 'q' } }, tenant);
      const aborted = await rt.jobs.abort(job.job_id, tenant);
      rt.start();
      await eventually(() => outcomes.some((o) => o.outcome === 'skipped'), 'the skip');
      expect(aborted.status).toBe('ABORTED');
      expect(calls.runs).toEqual([]);
      // The terminal event is the last one: a skipped message writes nothing.
      expect((await rt.jobs.events(job.job_id, tenant)).items.map((e) => e.type)).toEqual([
        'job.created',
        'job.aborted',
      ]);
      await expect(rt.jobs.abort(job.job_id, tenant)).resolves.toMatchObject({ status: 'ABORTED' });
    });

    it('pauses a running stage and re-runs it on resume', async () => {
      let runs = 0;
      const pipeline = definePipeline({
        name: 'pausable',
        stages: [
          defineStage({
            name: 'work',
            inputs: {},
            outputs: ['ok'],
            heartbeatMs: 50,
            async process(_inputs, ctx) {
              runs += 1;
              if (runs === 1) return waitForSignal(ctx.signal);
              return { ok: runs };
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'pausable' }, tenant);
      await eventually(async () => (await rt.jobs.get(job.job_id, tenant)).status === 'RUNNING', 'RUNNING');
      await rt.jobs.pause(job.job_id, tenant);
      const paused = await rt.jobs.waitFor(job.job_id, tenant, { statuses: ['PAUSED'] });
      await rt.jobs.resume(job.job_id, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      expect(paused.status).toBe('PAUSED');
      expect(done.status).toBe('DONE');
      expect(done.params.ok).toBe(2);
      expect((await rt.jobs.attempts(job.job_id, tenant)).map((a) => a.outcome)).toEqual([
        'paused',
        'completed',
      ]);
      const types = (await rt.jobs.events(job.job_id, tenant)).items.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['job.paused', 'job.resumed', 'job.done']));
    });

    it('replays a failed job from its failed stage with overridden params', async () => {
      const pipeline = definePipeline({
        name: 'replayable',
        stages: [
          defineStage({ name: 'a', inputs: {}, outputs: ['a_out'], process: async () => ({ a_out: 1 }) }),
          defineStage({
            name: 'b',
            inputs: { mode: z.enum(['good', 'bad']) },
            outputs: ['b_out'],
            async process({ mode }) {
              if (mode === 'bad') throw new ValidationError('bad mode');
              return { b_out: mode };
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'replayable', params: { mode: 'bad' } }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      await expect(rt.jobs.replay(job.job_id, tenant, { from_stage: 'zz' })).rejects.toThrow(
        /not in pipeline/,
      );
      const replayed = await rt.jobs.replay(job.job_id, tenant, { params: { mode: 'good' } });
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.stage).toBe('b');
      expect(replayed).toMatchObject({ status: 'QUEUED', stage: 'b', retry_count: 0 });
      expect(replayed.error).toBeUndefined();
      expect(done).toMatchObject({ status: 'DONE', params: { a_out: 1, b_out: 'good', mode: 'good' } });
      await expect(rt.jobs.replay(job.job_id, tenant, { from_stage: 'a' })).resolves.toMatchObject({
        stage: 'a',
      });
    });
  });

  describe('holds and priorities', () => {
    it('parks jobs matching a hold as HELD and releases them when the hold is cleared', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('holds', calls)]);
      const hold = await rt.jobs.setHold(tenant, {
        selector: { provider: 'acme' },
        ttl_s: 3_600,
        reason: 'rate limit',
      });
      const held = await rt.jobs.submit(
        { pipeline: 'holds', params: { item_id: 'h1' }, tags: { provider: 'acme' } },
        tenant,
      );
      const free = await rt.jobs.submit(
        { pipeline: 'holds', params: { item_id: 'h2' }, tags: { provider: 'other' } },
        tenant,
      );
      await rt.jobs.waitFor(free.job_id, tenant);
      const parked = await rt.jobs.waitFor(held.job_id, tenant, { statuses: ['HELD'] });
      const released = await rt.jobs.clearHold(tenant, hold.hold_id);
      const done = await rt.jobs.waitFor(held.job_id, tenant);
      expect(parked.held_by).toBe(hold.hold_id);
      expect(released).toBe(1);
      expect(done.status).toBe('DONE');
      expect((await rt.jobs.events(held.job_id, tenant)).items.map((e) => e.type)).toEqual(
        expect.arrayContaining(['job.held', 'job.resumed', 'job.done']),
      );
    });

    it('releases held jobs when their hold expires', async () => {
      const rt = await runtime([chain('expiring', { runs: [] })]);
      const hold = await rt.jobs.setHold(tenant, { selector: { pool: 'p' }, ttl_s: 3_600 });
      const job = await rt.jobs.submit(
        { pipeline: 'expiring', params: { item_id: 'e' }, tags: { pool: 'p' } },
        tenant,
      );
      await rt.jobs.waitFor(job.job_id, tenant, { statuses: ['HELD'] });
      // The hold runs out (as if an hour had passed): the sweeper releases what it parked.
      const stored = await f.h.backend.store.getHold(tenant.tenantId, hold.hold_id);
      if (stored === undefined) throw new Error('the hold is gone');
      await f.h.backend.store.putHold({ ...stored, until: new Date(Date.now() - 1_000).toISOString() });
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      expect(done.status).toBe('DONE');
      expect((await rt.jobs.events(job.job_id, tenant)).items.map((e) => e.type)).toContain('job.held');
      expect(await rt.jobs.listHolds(tenant)).not.toContainEqual(
        expect.objectContaining({ hold_id: hold.hold_id }),
      );
    });

    it('polls the higher priority lane first', async () => {
      const order: number[] = [];
      const pipeline = definePipeline({
        name: 'lanes',
        priorityLanes: 2,
        stages: [
          defineStage({
            name: 'only',
            inputs: { n: z.number() },
            outputs: [],
            compute: { concurrency: 1, batchSize: 1 },
            async process({ n }) {
              order.push(n);
              return {};
            },
          }),
        ],
      });
      const rt = await runtime([pipeline], { start: false });
      const jobs: JobRecord[] = [];
      for (let n = 0; n < 4; n += 1)
        jobs.push(await rt.jobs.submit({ pipeline: 'lanes', params: { n } }, tenant));
      for (let n = 10; n < 14; n += 1) {
        jobs.push(await rt.jobs.submit({ pipeline: 'lanes', priority: 9, params: { n } }, tenant));
      }
      rt.start();
      await Promise.all(jobs.map((j) => rt.jobs.waitFor(j.job_id, tenant)));
      expect(order.slice(0, 4).every((n) => n >= 10)).toBe(true);
      expect(order.slice(4).every((n) => n < 10)).toBe(true);
    });
  });

  describe('progress and shutdown', () => {
    it('coalesces progress so a hot loop cannot flood subscribers', async () => {
      const pipeline = definePipeline({
        name: 'progress',
        stages: [
          defineStage({
            name: 'hot',
            inputs: {},
            outputs: ['reports'],
            async process(_inputs, ctx) {
              let reports = 0;
              const end = Date.now() + 450;
              while (Date.now() < end) {
                for (let i = 0; i < 1_000; i += 1) ctx.progress((100 * (end - Date.now())) / 450);
                reports += 1_000;
                await delay(1);
              }
              return { reports };
            },
          }),
        ],
      });
      const collector = await events();
      const rt = await runtime([pipeline]);
      // Progress goes to the bus while someone watches the tenant's jobs.
      await f.h.backend.store.subscribe({
        connection_id: `watcher-${uniquePrefix()}`,
        topic: tenantTopic(tenant.tenantId),
        tenant_id: tenant.tenantId,
      });
      const job = await rt.jobs.submit({ pipeline: 'progress' }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      // Delivery through the bus lags the job; wait for the stage's events to arrive.
      await eventually(
        () => ofJob(collector, job).filter((e) => e.type === 'stage.progress').length >= 2,
        'progress events on the bus',
        20_000,
      );
      await delay(300);
      const mine = ofJob(collector, job);
      const progress = mine.filter((e) => e.type === 'stage.progress');
      const at = (e: { time: string }) => Date.parse(e.time);
      const times = progress.map(at).sort((x, y) => x - y);
      const seen = `progress at ${JSON.stringify(times.map((t) => t - (times[0] ?? 0)))} ms`;
      expect(Number(done.params.reports)).toBeGreaterThan(10_000);
      expect(progress.length, seen).toBeGreaterThanOrEqual(2);
      // At most one emission per interval (100 ms here): over 10,000 calls become a handful of
      // events however long the loop takes on a busy machine.
      for (let i = 1; i < times.length; i += 1) {
        expect((times[i] ?? 0) - (times[i - 1] ?? 0), seen).toBeGreaterThanOrEqual(95);
      }
      const started = mine.find((e) => e.type === 'stage.started');
      const ended = mine.find((e) => e.type === 'stage.completed');
      const ranMs = started && ended ? at(ended) - at(started) : 450;
      expect(progress.length, seen).toBeLessThanOrEqual(Math.ceil(ranMs / 100) + 1);
      expect((await rt.jobs.events(job.job_id, tenant)).items.some((e) => e.type === 'stage.progress')).toBe(
        false,
      );
    });

    it('stops gracefully: finishes short stages, interrupts long ones without using a retry', async () => {
      let longRuns = 0;
      const pipeline = definePipeline({
        name: 'shutdown',
        stages: [
          defineStage({
            name: 'only',
            inputs: { ms: z.number() },
            outputs: ['ok'],
            async process({ ms }, ctx) {
              if (ms > 1_000) longRuns += 1;
              if (ms > 1_000 && longRuns > 1) return { ok: 'second run' };
              await delay(Math.min(ms, 200));
              if (ms > 1_000)
                await new Promise((_, reject) =>
                  ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
                );
              return { ok: ms };
            },
          }),
        ],
      });
      const prefix = uniquePrefix();
      const first = await runtime([pipeline], { prefix });
      const short = await first.jobs.submit({ pipeline: 'shutdown', params: { ms: 100 } }, tenant);
      const long = await first.jobs.submit({ pipeline: 'shutdown', params: { ms: 60_000 } }, tenant);
      await eventually(
        async () => (await first.jobs.get(long.job_id, tenant)).status === 'RUNNING',
        'RUNNING',
      );
      await first.stop({ timeoutMs: 500 });
      const interrupted = await first.jobs.get(long.job_id, tenant);
      const second = await runtime([pipeline], { prefix });
      const done = await second.jobs.waitFor(long.job_id, tenant);
      // A short stage in flight finishes within the stop's timeout (or, on a slow emulator, runs
      // again in the next runtime): either way it ends DONE, once.
      expect((await second.jobs.waitFor(short.job_id, tenant)).status).toBe('DONE');
      expect(interrupted.status).toBe('QUEUED');
      expect(done).toMatchObject({ status: 'DONE', retry_count: 0, params: { ok: 'second run' } });
      expect((await second.jobs.attempts(long.job_id, tenant)).map((a) => a.outcome)).toEqual([
        'interrupted',
        'completed',
      ]);
    });
  });
}
