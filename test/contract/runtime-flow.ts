import { describe, expect, it } from 'vitest';
import type { Caller } from '../../lib/core/control/index.js';
import { uniquePrefix } from '../support/factories.js';
import { eventually } from '../support/wait.js';
import { type Calls, type RuntimeFixture, tenant } from './runtime-suite.js';

/** A job through its stages: ranges, idempotent submits, tenancy. */
export function describeRuntimeFlow(f: RuntimeFixture): void {
  const { runtime, events, ofJob, chain } = f;
  describe('a job through its stages', () => {
    it('runs every stage once, merges outputs into params, and records events and attempts', async () => {
      // Prepare
      const calls: Calls = { runs: [] };
      const collector = await events();
      const rt = await runtime([chain('flow', calls)]);
      // Act
      const job = await rt.jobs.submit({ pipeline: 'flow', params: { item_id: 'i1' } }, tenant);
      const done = await rt.jobs.waitFor(job.job_id, tenant, { timeoutMs: 90_000 });
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

    it('treats a resubmitted job_id as the same job, refuses a different request under it, and scopes ids by tenant', async () => {
      const calls: Calls = { runs: [] };
      const rt = await runtime([chain('idem', calls)]);
      const request = { pipeline: 'idem', job_id: `job-${uniquePrefix()}`, params: { item_id: 'x' } };
      const first = await rt.jobs.submitted(request, tenant);
      const again = await rt.jobs.submitted(request, tenant);
      const different = await rt.jobs
        .submit({ ...request, params: { item_id: 'y' } }, tenant)
        .catch((e: unknown) => e);
      // Another tenant's job of the same id is another job, and says nothing of this one.
      const other = { tenantId: `other-${uniquePrefix()}` };
      const theirs = await rt.jobs.submitted({ ...request, params: { item_id: 'z' } }, other);
      await rt.jobs.waitFor(request.job_id, tenant);
      await rt.jobs.waitFor(request.job_id, other);
      expect(first.created).toBe(true);
      expect(again).toMatchObject({ created: false, job: { job_id: request.job_id } });
      expect(different).toMatchObject({
        code: 'JOB_EXISTS',
        message: expect.stringMatching(/different request \(params item_id differs\)/),
      });
      expect(theirs.created).toBe(true);
      expect(calls.runs.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
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
}
