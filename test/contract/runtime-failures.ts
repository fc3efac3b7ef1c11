import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ContractError,
  InvalidParamError,
  MissingParamError,
  NonRetryableError,
  NotFoundError,
  RetryableError,
  ValidationError,
} from '../../lib/core/ports/index.js';
import { definePipeline, defineStage, required } from '../../lib/core/sdk/index.js';
import { eventually } from '../support/wait.js';
import { type Calls, FAST, type RuntimeFixture, tenant } from './runtime-suite.js';

/** Retries and failures: three attempts, non-retryable errors, inputs, outputs, contract size. */
export function describeRuntimeFailures(f: RuntimeFixture): void {
  const { runtime, events, ofJob, chain } = f;
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
        const list = (
          await f.h.backend.store.listDeadLetters({ tenant_id: job.tenant_id, job_id: job.job_id })
        ).items;
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
      const only = defineStage({
        name: 'only',
        inputs: { image_id: required, threshold: z.number().max(1) },
        outputs: ['ok'],
        async process() {
          runs += 1;
          return { ok: 1 };
        },
      });
      // An earlier stage can hand on a value the next stage's schema refuses.
      const first = defineStage({
        name: 'first',
        inputs: {},
        outputs: ['threshold'],
        process: () => ({ threshold: 3 }),
      });
      const rt = await runtime([
        definePipeline({ name: 'inputs', stages: [only] }),
        definePipeline({ name: 'handed', stages: [first, only] }),
      ]);
      const missing = await rt.jobs.submit({ pipeline: 'inputs', params: { threshold: 0.5 } }, tenant);
      const invalid = await rt.jobs.submit({ pipeline: 'handed', params: { image_id: 'i' } }, tenant);
      const [m, i] = await Promise.all([
        rt.jobs.waitFor(missing.job_id, tenant),
        rt.jobs.waitFor(invalid.job_id, tenant),
      ]);
      expect(runs).toBe(0);
      expect(m.error).toMatchObject({ code: 'MISSING_PARAM' });
      expect(m.error?.message).toMatch(/missing required param image_id/);
      expect(i.error).toMatchObject({ code: 'INVALID_PARAM', stage: 'only' });
      expect(i.error?.message).toMatch(/threshold: Too big/i);
    });

    it('refuses at submit the params the entry stage schemas refuse, naming each, and creates nothing', async () => {
      const rt = await runtime([
        definePipeline({
          name: 'checked',
          stages: [
            defineStage({
              name: 'only',
              inputs: { image_id: required, threshold: z.number().max(1), label: z.string() },
              outputs: [],
              process: () => ({}),
            }),
          ],
        }),
      ]);
      const refused = rt.jobs.submit(
        { pipeline: 'checked', job_id: 'refused-1', params: { threshold: 3 } },
        tenant,
      );
      await expect(refused).rejects.toMatchObject({
        code: 'INVALID_PARAMS',
        context: {
          details: { stage: 'only', missing: ['label'], invalid: [expect.stringMatching(/^threshold: /)] },
        },
      });
      await expect(refused).rejects.toThrow(
        /Pipeline 'checked' cannot start at stage 'only': missing required param label; threshold: Too big/,
      );
      await expect(rt.jobs.get('refused-1', tenant)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
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
}
