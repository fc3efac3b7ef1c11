import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Caller,
  ContractError,
  definePipeline,
  defineStage,
  InvalidParamError,
  MissingParamError,
  NonRetryableError,
  NotFoundError,
  type Outcome,
  type Pipeline,
  RetryableError,
  Runtime,
  type RuntimeOptions,
  required,
  serializeEnvelope,
  ValidationError,
} from '../../lib/core/index.js';
import { envelopeOf, type JobEvent, type JobRecord } from '../../lib/core/job.js';
import { uniquePrefix } from '../support/factories.js';
import { FaultyQueue } from '../support/faulty-queue.js';
import { delay, eventually } from '../support/wait.js';
import type { EventCollector, Harness, HarnessFactory } from './harness.js';

const tenant: Caller = { tenantId: 'tenant-a' };
const FAST = { type: 'fixed', initialDelayMs: 20, jitter: 'none' } as const;

interface Calls {
  readonly runs: string[];
}

/** a → b → c; each stage records its run and adds `<stage>_out` to params. */
function makeChain(
  name: string,
  calls: Calls,
  overrides: Partial<Record<'a' | 'b' | 'c', Parameters<typeof defineStage>[0]>> = {},
  visibilityTimeoutMs = 1_000,
) {
  const make = (stage: 'a' | 'b' | 'c') =>
    defineStage({
      name: stage,
      inputs: { item_id: required },
      outputs: [`${stage}_out`],
      retry: { backoff: FAST },
      visibilityTimeoutMs,
      heartbeatMs: 50,
      async process({ item_id }) {
        calls.runs.push(stage);
        return { [`${stage}_out`]: `${stage}(${String(item_id)})` };
      },
      ...overrides[stage],
    });
  return definePipeline({ name, stages: [make('a'), make('b'), make('c')] });
}

/**
 * Behaviour of the runtime on a backend: retries, non-retryable errors, output verification,
 * entry/exit, duplicates, crash healing, dead letters, timeouts, abort, pause, replay, holds,
 * priorities and graceful stop. Run once per adapter set.
 */
export function describeRuntime(factory: HarnessFactory): void {
  let h: Harness;
  const open: Runtime[] = [];
  const chain = (name: string, calls: Calls, overrides: Parameters<typeof makeChain>[2] = {}) =>
    makeChain(name, calls, overrides, h.stageVisibilityMs);
  const collectors: EventCollector[] = [];
  const outcomes: { stage: string; outcome: Outcome | 'error' }[] = [];

  beforeAll(async () => {
    h = await factory();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((rt) => rt.stop({ timeoutMs: 2_000 })));
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
    outcomes.length = 0;
  });

  async function runtime(
    pipelines: readonly Pipeline[],
    options: Partial<Omit<RuntimeOptions, 'pipelines'>> & { start?: boolean } = {},
  ): Promise<Runtime> {
    const rt = await Runtime.create({
      pipelines,
      backend: options.backend ?? h.backend,
      prefix: options.prefix ?? uniquePrefix(),
      holdCacheMs: 50,
      pool: {
        waitTimeMs: 200,
        holdSweepMs: 100,
        progressIntervalMs: 100,
        cancelGraceMs: 300,
        onOutcome: (stage, outcome) => outcomes.push({ stage, outcome }),
        ...options.pool,
      },
    });
    open.push(rt);
    if (options.start !== false) rt.start();
    return rt;
  }

  async function events(): Promise<EventCollector> {
    const collector = await h.collectEvents();
    collectors.push(collector);
    return collector;
  }

  const ofJob = (collector: EventCollector, job: JobRecord): JobEvent[] =>
    collector.events().filter((e) => e.job_id === job.job_id);

  describe('a job through its stages', () => {
    it('runs every stage once, merges outputs into params, and records events and attempts', async () => {
      // Prepare
      const calls: Calls = { runs: [] };
      const collector = await events();
      const rt = await runtime([chain('flow', calls)]);
      // Act
      const job = await rt.jobs.submit({ pipeline: 'flow', params: { item_id: 'i1' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 20_000 });
      // Assess
      expect(done.status).toBe('DONE');
      expect(done.params).toEqual({ item_id: 'i1', a_out: 'a(i1)', b_out: 'b(i1)', c_out: 'c(i1)' });
      expect(calls.runs).toEqual(['a', 'b', 'c']);
      expect(done.hop).toBe(2);
      const stored = (await rt.jobs.events(job.job_id, tenant, { limit: 100 })).items.map(
        (e) => `${e.type}@${e.stage}`,
      );
      expect(stored).toEqual([
        'job.created@a',
        'stage.started@a',
        'stage.completed@a',
        'stage.started@b',
        'stage.completed@b',
        'stage.started@c',
        'stage.completed@c',
        'job.done@c',
      ]);
      expect((await rt.jobs.attempts(job.job_id, tenant)).map((a) => `${a.stage}:${a.outcome}`)).toEqual([
        'a:completed',
        'b:completed',
        'c:completed',
      ]);
      const live = await eventually(() => {
        const seen = ofJob(collector, job);
        return seen.some((e) => e.type === 'job.done') ? seen : undefined;
      }, 'job.done on the bus');
      expect(live.every((e) => e.tenant_id === 'tenant-a' && e.pipeline === 'flow')).toBe(true);
    });

    it('runs only entry_stage..exit_stage', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('range', calls)]);
      const job = await rt.jobs.submit(
        { pipeline: 'range', entry_stage: 'b', exit_stage: 'b', params: { item_id: 'i2' } },
        tenant,
      );
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      expect(done.status).toBe('DONE');
      expect(done.stage).toBe('b');
      expect(calls.runs).toEqual(['b']);
      expect(done.params).toEqual({ item_id: 'i2', b_out: 'b(i2)' });
    });

    it('rejects a submit with an unknown pipeline, an unknown stage or a reversed range', async () => {
      const rt = await runtime([chain('submits', { runs: [] })], { start: false });
      await expect(rt.jobs.submit({ pipeline: 'nope' }, tenant)).rejects.toThrow(/Unknown pipeline 'nope'/);
      await expect(rt.jobs.submit({ pipeline: 'submits', entry_stage: 'zz' }, tenant)).rejects.toThrow(
        /entry_stage 'zz' is not a stage/,
      );
      await expect(
        rt.jobs.submit({ pipeline: 'submits', entry_stage: 'c', exit_stage: 'a' }, tenant),
      ).rejects.toThrow(/comes after exit_stage/);
      await expect(
        rt.jobs.submit({ pipeline: 'submits', params: { blob: 'x'.repeat(40_000) } }, tenant),
      ).rejects.toThrow(/over the 32768-byte \(32 KiB\) limit/);
    });

    it('treats a resubmitted job_id as the same job', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('idem', calls)]);
      const first = await rt.jobs.submit(
        { pipeline: 'idem', job_id: `job-${uniquePrefix()}`, params: { item_id: 'x' } },
        tenant,
      );
      const second = await rt.jobs.submit(
        { pipeline: 'idem', job_id: first.job_id, params: { item_id: 'y' } },
        tenant,
      );
      await rt.jobs.waitFor(first.job_id, tenant);
      expect(second.job_id).toBe(first.job_id);
      expect(calls.runs).toEqual(['a', 'b', 'c']);
    });

    it('hides a job from another tenant', async () => {
      const rt = await runtime([chain('tenancy', { runs: [] })], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'tenancy', params: { item_id: 'x' } }, tenant);
      const other: Caller = { tenantId: 'tenant-b' };
      await expect(rt.jobs.get(job.job_id, other)).rejects.toThrow(/was not found/);
      await expect(rt.jobs.abort(job.job_id, other)).rejects.toThrow(/was not found/);
      expect((await rt.jobs.list(other)).items).toEqual([]);
    });
  });

  describe('retries and failures', () => {
    it('retries a failing stage twice by default — three attempts — then fails the job and dead-letters it', async () => {
      const calls: Calls = { runs: [] };
      const pipeline = chain('retries', calls, {
        b: {
          name: 'b',
          inputs: {},
          outputs: ['b_out'],
          retry: { backoff: FAST },
          async process() {
            calls.runs.push('b');
            throw new Error('database timeout');
          },
        },
      });
      const collector = await events();
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'retries', params: { item_id: 'r' } }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.status).toBe('FAILED');
      expect(calls.runs).toEqual(['a', 'b', 'b', 'b']);
      expect(failed.error).toMatchObject({
        stage: 'b',
        attempt: 3,
        message: 'database timeout',
        dead_lettered: true,
      });
      expect(
        (await rt.jobs.attempts(job.job_id, tenant)).map((a) => `${a.stage}:${a.attempt}:${a.outcome}`),
      ).toEqual(['a:1:completed', 'b:1:retrying', 'b:2:retrying', 'b:3:failed']);
      // The bus does not promise order: wait for all four failure events, then look at them.
      const failures = await eventually(() => {
        const seen = ofJob(collector, job);
        const stageFailures = seen.filter((e) => e.type === 'stage.failed');
        return stageFailures.length === 3 && seen.some((e) => e.type === 'job.failed')
          ? stageFailures
          : undefined;
      }, 'three stage.failed events and job.failed');
      expect(failures.map((e) => e.data?.retryable)).toEqual([true, true, true]);
      const dead = await eventually(async () => {
        const list = await h.backend.store.listDeadLetters({ job_id: job.job_id });
        return list.length > 0 ? list : undefined;
      }, 'the dead letter');
      expect(dead[0]?.reason).toMatch(/^Retries exhausted after 3 attempts: database timeout/);
    });

    it('succeeds on a later attempt, and a RetryableError sets the delay', async () => {
      let runs = 0;
      const pipeline = definePipeline({
        name: 'flaky',
        stages: [
          defineStage({
            name: 'only',
            inputs: {},
            outputs: ['ok'],
            retry: { backoff: FAST },
            async process() {
              runs += 1;
              if (runs < 3) throw new RetryableError('rate limited', { delayMs: 300 });
              return { ok: true };
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'flaky' }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      const failures = (await rt.jobs.events(job.job_id, tenant)).items.filter(
        (e) => e.type === 'stage.failed',
      );
      const started = (await rt.jobs.attempts(job.job_id, tenant)).map((a) => Date.parse(a.started_at));
      expect(done.status).toBe('DONE');
      expect(runs).toBe(3);
      expect(failures.map((e) => e.data?.retry_in_ms)).toEqual([300, 300]);
      expect((started[2] ?? 0) - (started[1] ?? 0)).toBeGreaterThanOrEqual(280);
    });

    it.each([
      ['MissingParamError', () => new MissingParamError('x'), 'MISSING_PARAM'],
      ['InvalidParamError', () => new InvalidParamError('x', 'x must be positive'), 'INVALID_PARAM'],
      ['NotFoundError', () => new NotFoundError('image img_1 not found'), 'NOT_FOUND'],
      ['ValidationError', () => new ValidationError('bad data'), 'VALIDATION'],
      ['ContractError', () => new ContractError('broken contract'), 'CONTRACT'],
      ['NonRetryableError', () => new NonRetryableError('give up'), 'NON_RETRYABLE'],
    ])('fails the job at once on %s, without retrying', async (_name, makeError, code) => {
      let runs = 0;
      const pipeline = definePipeline({
        name: 'nonretry',
        stages: [
          defineStage({
            name: 'only',
            inputs: {},
            outputs: ['ok'],
            retry: { backoff: FAST },
            async process() {
              runs += 1;
              throw makeError();
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'nonretry' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.status).toBe('FAILED');
      expect(runs).toBe(1);
      expect(failed.error).toMatchObject({ code, retryable: false, stage: 'only', attempt: 1 });
      expect(failed.error?.dead_lettered).toBeUndefined();
    });

    it('fails at once, naming the param, when a required input is missing or invalid', async () => {
      let runs = 0;
      const pipeline = definePipeline({
        name: 'inputs',
        stages: [
          defineStage({
            name: 'only',
            inputs: { image_id: required, threshold: z.number().max(1) },
            outputs: ['ok'],
            async process() {
              runs += 1;
              return { ok: 1 };
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const missing = await rt.jobs.submit({ pipeline: 'inputs', params: { threshold: 0.5 } }, tenant);
      const invalid = await rt.jobs.submit(
        { pipeline: 'inputs', params: { image_id: 'i', threshold: 3 } },
        tenant,
      );
      const [m, i] = await Promise.all([
        rt.jobs.waitFor(missing.job_id, tenant),
        rt.jobs.waitFor(invalid.job_id, tenant),
      ]);
      expect(runs).toBe(0);
      expect(m.error).toMatchObject({ code: 'MISSING_PARAM' });
      expect(m.error?.message).toMatch(/missing required param image_id/);
      expect(i.error).toMatchObject({ code: 'INVALID_PARAM' });
      expect(i.error?.message).toMatch(/threshold: Too big/i);
    });

    it('fails at once when process() returns other keys than it declares', async () => {
      const pipeline = definePipeline({
        name: 'outputs',
        stages: [
          defineStage({
            name: 'only',
            inputs: {},
            outputs: ['detection_run_id'],
            // @ts-expect-error the stage deliberately breaks its declared outputs
            async process() {
              return { wrong_key: 1 };
            },
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'outputs' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.error?.code).toBe('OUTPUT_MISMATCH');
      expect(failed.error?.message).toMatch(/missing detection_run_id; unexpected wrong_key/);
      expect(await rt.jobs.attempts(job.job_id, tenant)).toHaveLength(1);
    });

    it('fails at once when outputs would push the contract over its size limit', async () => {
      const pipeline = definePipeline({
        name: 'toolarge',
        stages: [
          defineStage({
            name: 'a',
            inputs: {},
            outputs: ['blob'],
            process: async () => ({ blob: 'x'.repeat(40_000) }),
          }),
          defineStage({ name: 'b', inputs: {}, outputs: [], process: async () => ({}) }),
        ],
      });
      const rt = await runtime([pipeline]);
      const job = await rt.jobs.submit({ pipeline: 'toolarge' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.error?.code).toBe('CONTRACT_TOO_LARGE');
      expect(failed.error?.message).toMatch(/limit/);
    });
  });

  describe('at-least-once delivery, exactly-once effects', () => {
    it('runs and forwards once when the same message is delivered twice', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('dupes', calls)], { start: false });
      const job = await rt.jobs.submit({ pipeline: 'dupes', params: { item_id: 'd' } }, tenant);
      const body = serializeEnvelope(envelopeOf(job));
      await h.backend.queue.send(rt.topology.queueFor('dupes', 'a', 0), [{ body }]);
      rt.start();
      await rt.jobs.waitFor(job.job_id, tenant);
      // A copy that arrives while the first holds the lease waits (busy) and is then dropped.
      await eventually(
        () => outcomes.some((o) => o.stage === 'a' && o.outcome === 'duplicate'),
        'the duplicate',
      );
      expect(calls.runs).toEqual(['a', 'b', 'c']);
      const forStageA = outcomes.filter((o) => o.stage === 'a').map((o) => o.outcome);
      expect(forStageA.filter((o) => o === 'forwarded')).toHaveLength(1);
      expect(forStageA.every((o) => ['forwarded', 'busy', 'duplicate'].includes(o))).toBe(true);
    });

    it('heals a crash between the state write and the forward when the message comes back', async () => {
      const calls: Calls = { runs: [] };
      const faulty = new FaultyQueue(h.backend.queue);
      const rt = await runtime([chain('heal', calls)], {
        backend: { ...h.backend, queue: faulty },
        start: false,
      });
      faulty.failSends(rt.topology.queueFor('heal', 'b', 0));
      rt.start();
      const job = await rt.jobs.submit({ pipeline: 'heal', params: { item_id: 'h' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 20_000 });
      expect(done.status).toBe('DONE');
      expect(calls.runs).toEqual(['a', 'b', 'c']);
      expect(outcomes.map((o) => `${o.stage}:${o.outcome}`)).toEqual(
        expect.arrayContaining(['a:error', 'a:healed', 'b:forwarded', 'c:done']),
      );
    });

    it('dead-letters a malformed message with its reason and keeps working', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('malformed', calls)]);
      const queue = rt.topology.queueFor('malformed', 'a', 0);
      await h.backend.queue.send(queue, [
        { body: 'not json at all' },
        { body: JSON.stringify({ job_id: 'j-bad', hop: 'x' }) },
      ]);
      const job = await rt.jobs.submit({ pipeline: 'malformed', params: { item_id: 'ok' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      const dead = await eventually(async () => {
        const all = await h.backend.store.listDeadLetters({ limit: 10_000 });
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
      await h.backend.queue.receive(rt.topology.queueFor('crash', 'a', 0), {
        maxMessages: 1,
        waitTimeMs: 2_000,
      });
      await h.backend.store.transition(job.job_id, {
        expect: { status: ['QUEUED'] },
        set: { status: 'RUNNING', lease: { owner: 'dead-worker', expires_at: Date.now() + 500 } },
      });
      rt.start();
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 20_000 });
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
      await h.backend.store.transition(job.job_id, {
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
        await h.backend.queue.receive(queue, { maxMessages: 1, waitTimeMs: 0, visibilityTimeoutMs: 0 });
        return (await h.backend.queue.depth(rt.topology.stageQueues('redrive', 'a').dlq)).visible > 0;
      }, `the message to be received ${maxReceiveCount} times and redriven`);
      rt.start();
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatchObject({ code: 'RECEIVE_LIMIT', dead_lettered: true });
      expect(failed.error?.message).toMatch(/crashed, timed out or was killed repeatedly/);
    });
  });

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

    it('stops waiting for a stage that ignores its signal once the grace period is over', async () => {
      const pipeline = definePipeline({
        name: 'stubborn',
        stages: [
          defineStage({
            name: 'deaf',
            inputs: {},
            outputs: ['ok'],
            timeoutMs: 100,
            retry: { maxRetries: 0 },
            process: () => new Promise<{ ok: number }>(() => undefined),
          }),
        ],
      });
      const rt = await runtime([pipeline]);
      const started = Date.now();
      const job = await rt.jobs.submit({ pipeline: 'stubborn' }, tenant);
      const failed = await rt.jobs.waitFor(job.job_id, tenant);
      expect(failed.error?.code).toBe('STAGE_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
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
      const requested = Date.now();
      await rt.jobs.abort(job.job_id, tenant, 'user clicked abort');
      const aborted = await rt.jobs.waitFor(job.job_id, tenant);
      expect(aborted.status).toBe('ABORTED');
      expect(Date.now() - requested).toBeLessThan(2_000);
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
      expect((await rt.jobs.events(job.job_id, tenant)).items.map((e) => e.type)).toEqual([
        'job.created',
        'job.aborted',
        'stage.skipped',
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
      await rt.jobs.setHold(tenant, { selector: { pool: 'p' }, ttl_s: 1 });
      const job = await rt.jobs.submit(
        { pipeline: 'expiring', params: { item_id: 'e' }, tags: { pool: 'p' } },
        tenant,
      );
      await rt.jobs.waitFor(job.job_id, tenant, { statuses: ['HELD'] });
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 10_000 });
      expect(done.status).toBe('DONE');
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
      const job = await rt.jobs.submit({ pipeline: 'progress' }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant);
      // Delivery through the bus lags the job; wait for the stage's events to arrive.
      await eventually(
        () => ofJob(collector, job).filter((e) => e.type === 'stage.progress').length >= 2,
        'progress events on the bus',
        20_000,
      );
      await delay(300);
      const progress = ofJob(collector, job).filter((e) => e.type === 'stage.progress');
      expect(Number(done.params.reports)).toBeGreaterThan(10_000);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.length).toBeLessThanOrEqual(8);
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
      expect((await first.jobs.get(short.job_id, tenant)).status).toBe('DONE');
      expect(interrupted.status).toBe('QUEUED');
      expect(done).toMatchObject({ status: 'DONE', retry_count: 0, params: { ok: 'second run' } });
      expect((await second.jobs.attempts(long.job_id, tenant)).map((a) => a.outcome)).toEqual([
        'interrupted',
        'completed',
      ]);
    });
  });
}
