import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hold, JobQuery, MarkEntry, RunEntry } from '../../lib/core/ports/index.js';
import {
  InvalidParamError,
  JobExistsError,
  NotFoundError,
  RecordConflictError,
} from '../../lib/core/ports/index.js';
import { jobEvent, jobRecord, uniquePrefix } from '../support/factories.js';
import { delay, eventually } from '../support/wait.js';
import type { Harness, HarnessFactory } from './harness.js';

/**
 * Behaviour every adapter set must show, port by port. Run once per backend (memory here; the AWS
 * adapters on an emulator): an adapter set that passes is interchangeable.
 */
export function describePorts(factory: HarnessFactory): void {
  let h: Harness;
  beforeAll(async () => {
    h = await factory();
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('JobQueue', () => {
    async function queues(spec: { visibilityTimeoutMs?: number; maxReceiveCount?: number } = {}) {
      const prefix = uniquePrefix();
      const dlq = `${prefix}dlq`;
      const name = `${prefix}q`;
      await h.backend.queue.ensureQueue({ name: dlq, visibilityTimeoutMs: 30_000 });
      await h.backend.queue.ensureQueue({
        name,
        visibilityTimeoutMs: spec.visibilityTimeoutMs ?? 30_000,
        ...(spec.maxReceiveCount === undefined
          ? {}
          : { maxReceiveCount: spec.maxReceiveCount, deadLetterQueue: dlq }),
      });
      return { name, dlq };
    }

    it('delivers a sent message with its body and attributes, and deletes it', async () => {
      // Prepare
      const { name } = await queues();
      await h.backend.queue.send(name, [{ body: '{"n":1}', attributes: { kind: 'test' } }]);
      // Act
      const [message] = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
      await h.backend.queue.delete(name, [message?.receiptHandle ?? '']);
      // Assess
      expect(message?.body).toBe('{"n":1}');
      expect(message?.attributes.kind).toBe('test');
      expect(message?.receiveCount).toBe(1);
      expect(await h.backend.queue.receive(name, { maxMessages: 10, waitTimeMs: 0 })).toEqual([]);
    });

    it('takes a message group (the tenant) and, where fair, serves the groups in turn', async () => {
      // Prepare: tenant a's backlog of six, then one message of b
      const { name } = await queues();
      const sends = Array.from({ length: 6 }, (_, n) => ({ body: `a${n}`, group: 'tenant-a' }));
      await h.backend.queue.send(name, sends);
      await h.backend.queue.send(name, [{ body: 'b0', group: 'tenant-b' }]);
      // Act
      const got: string[] = [];
      for (let i = 0; i < 7 && got.length < 7; i++) {
        const batch = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
        got.push(...batch.map((m) => m.body));
      }
      // Assess: every message arrives; b's waits behind at most one of a's where the queue is fair
      expect([...got].sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0']);
      if (h.fairQueues) expect(got.indexOf('b0')).toBeLessThanOrEqual(1);
    });

    it('sends ten large messages at once although together they exceed one batch request', async () => {
      // Ten 120 KiB forwards leaving together: 1.2 MiB, over SendMessageBatch's 1 MiB payload.
      const { name } = await queues();
      const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(120 * 1024) });
      await Promise.all(
        Array.from({ length: 10 }, (_, n) => h.backend.queue.send(name, [{ body: body(n) }])),
      );
      const got = new Set<number>();
      await eventually(async () => {
        const batch = await h.backend.queue.receive(name, { maxMessages: 10, waitTimeMs: 1_000 });
        for (const m of batch) got.add((JSON.parse(m.body) as { n: number }).n);
        return got.size === 10;
      }, 'the ten large messages');
      expect([...got].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('receives at most the batch size, and at most ten', async () => {
      const { name } = await queues();
      for (let i = 0; i < 12; i += 10) {
        await h.backend.queue.send(
          name,
          Array.from({ length: Math.min(10, 12 - i) }, (_, j) => ({ body: String(i + j) })),
        );
      }
      const three = await h.backend.queue.receive(name, { maxMessages: 3, waitTimeMs: 1_000 });
      const rest: string[] = [];
      await eventually(async () => {
        const got = await h.backend.queue.receive(name, { maxMessages: 10, waitTimeMs: 1_000 });
        expect(got.length).toBeLessThanOrEqual(10);
        rest.push(...got.map((m) => m.body));
        return rest.length === 9;
      }, 'the other nine messages');
      expect(three).toHaveLength(3);
      expect(new Set([...three.map((m) => m.body), ...rest]).size).toBe(12);
    });

    it('hides a received message for its visibility timeout, then delivers it again with a higher receive count', async () => {
      const { name } = await queues({ visibilityTimeoutMs: h.minVisibilityMs });
      await h.backend.queue.send(name, [{ body: 'again' }]);
      const first = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
      const hidden = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 0 });
      await delay(h.minVisibilityMs + 200);
      const second = await eventually(async () => {
        const got = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 1_000 });
        return got.length > 0 ? got : undefined;
      }, 'the redelivery');
      expect(first[0]?.receiveCount).toBe(1);
      expect(hidden).toEqual([]);
      expect(second[0]?.body).toBe('again');
      expect(second[0]?.receiveCount).toBe(2);
    });

    it('makes a message visible again at once when its visibility is set to zero', async () => {
      const { name } = await queues();
      await h.backend.queue.send(name, [{ body: 'release' }]);
      const [first] = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
      await h.backend.queue.changeVisibility(name, first?.receiptHandle ?? '', 0);
      const again = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
      expect(again[0]?.body).toBe('release');
    });

    it('keeps a delayed message invisible until its delay has passed', async () => {
      const { name } = await queues();
      await h.backend.queue.send(name, [{ body: 'later', delayMs: 1_000 }]);
      const early = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 0 });
      const late = await eventually(
        async () => {
          const got = await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 1_000 });
          return got.length > 0 ? got : undefined;
        },
        'the delayed message',
        5_000,
      );
      expect(early).toEqual([]);
      expect(late[0]?.body).toBe('later');
      expect(Date.now() - (late[0]?.sentAt ?? 0)).toBeGreaterThanOrEqual(900);
    });

    it('moves a message to its dead-letter queue after maxReceiveCount receives', async () => {
      const { name, dlq } = await queues({ visibilityTimeoutMs: h.minVisibilityMs, maxReceiveCount: 2 });
      await h.backend.queue.send(name, [{ body: 'poison', attributes: { job: 'x' } }]);
      const receipts: number[] = [];
      await eventually(async () => {
        const got = await h.backend.queue.receive(name, {
          maxMessages: 1,
          waitTimeMs: 0,
          visibilityTimeoutMs: 0,
        });
        for (const m of got) receipts.push(m.receiveCount);
        const dead = await h.backend.queue.receive(dlq, { maxMessages: 1, waitTimeMs: 0 });
        return dead.length > 0 ? dead : undefined;
      }, 'the message in the DLQ');
      expect(receipts).toEqual([1, 2]);
    });

    it('returns from a long poll as soon as a message arrives', async () => {
      const { name } = await queues();
      const started = Date.now();
      const polling = h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 10_000 });
      await delay(200);
      await h.backend.queue.send(name, [{ body: 'wake' }]);
      const got = await polling;
      expect(got[0]?.body).toBe('wake');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('counts visible, in-flight and delayed messages', async () => {
      const { name } = await queues();
      await h.backend.queue.send(name, [{ body: '1' }, { body: '2' }, { body: '3', delayMs: 60_000 }]);
      await h.backend.queue.receive(name, { maxMessages: 1, waitTimeMs: 2_000 });
      const depth = await eventually(async () => {
        const d = await h.backend.queue.depth(name);
        return d.visible === 1 && d.inFlight === 1 && d.delayed === 1 ? d : undefined;
      }, 'depth 1/1/1');
      expect(depth).toMatchObject({ visible: 1, inFlight: 1, delayed: 1 });
      // Optional: a backend that can tell the oldest message's age (the memory queue) tells it.
      if (depth.oldestAgeMs !== undefined) expect(depth.oldestAgeMs).toBeGreaterThanOrEqual(0);
    });
  });

  describe('JobStore', () => {
    const run = (overrides: Partial<RunEntry> = {}): RunEntry => ({
      kind: 'run',
      stage: 'a',
      hop: 0,
      attempt: 1,
      worker: 'w1',
      started_at: 1_000,
      ...overrides,
    });

    it('counts a tenant per minute window with increment (rate limits)', async () => {
      const tenant = `${uniquePrefix()}t`;
      expect(await h.backend.store.increment(tenant, 'submits#1', 4_000_000)).toBe(1);
      expect(await h.backend.store.increment(tenant, 'submits#1', 4_000_000)).toBe(2);
      expect(await h.backend.store.increment(tenant, 'submits#2', 4_000_060)).toBe(1);
      expect(await h.backend.store.increment(`${tenant}-b`, 'submits#1', 4_000_000)).toBe(1);
    });

    it('hands out at most `limit` slots of a pool, renews a holder, reclaims expired slots', async () => {
      // Prepare
      const tenantId = `${uniquePrefix()}t`;
      const slot = (holder: string, now: number, limit = 2) =>
        h.backend.store.acquireSlot({ tenantId, pool: 'p/s', holder, limit, expiresAt: now + 1_000, now });
      // Act & Assess: two holders fit, a third does not
      expect(await slot('j1#0', 0)).toBe(true);
      expect(await slot('j2#0', 0)).toBe(true);
      expect(await slot('j3#0', 10)).toBe(false);
      // a holder renews its own slot even when the pool is full
      expect(await slot('j1#0', 500)).toBe(true);
      // another tenant's and another stage's pools are apart
      expect(
        await h.backend.store.acquireSlot({
          tenantId: `${tenantId}-b`,
          pool: 'p/s',
          holder: 'j3#0',
          limit: 1,
          expiresAt: 1_000,
          now: 10,
        }),
      ).toBe(true);
      expect(
        await h.backend.store.acquireSlot({
          tenantId,
          pool: 'p/t',
          holder: 'j3#0',
          limit: 1,
          expiresAt: 1_000,
          now: 10,
        }),
      ).toBe(true);
      // a released slot is free again
      await h.backend.store.releaseSlot(tenantId, 'p/s', 'j2#0');
      expect(await slot('j3#0', 20)).toBe(true);
      expect(await slot('j4#0', 20)).toBe(false);
      // j3's slot expired at 1_020, j1's (renewed) lasts to 1_500: one slot to reclaim
      expect(await slot('j4#0', 1_100)).toBe(true);
      expect(await slot('j5#0', 1_100)).toBe(false);
      // releasing what is not held, or a pool that does not exist, changes nothing
      await h.backend.store.releaseSlot(tenantId, 'p/s', 'nobody');
      await h.backend.store.releaseSlot(tenantId, 'no/pool', 'j1#0');
      expect(await slot('j5#0', 1_100)).toBe(false);
      expect(
        await h.backend.store.acquireSlot({
          tenantId,
          pool: 'no/pool',
          holder: 'x',
          limit: 1,
          expiresAt: 2_000,
          now: 1_100,
        }),
      ).toBe(true);
    });

    it('lets exactly `limit` of many concurrent takers into a pool', async () => {
      const tenantId = `${uniquePrefix()}t`;
      const taken = await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          h.backend.store.acquireSlot({
            tenantId,
            pool: 'p/s',
            holder: `j${n}#0`,
            limit: 3,
            expiresAt: 10_000,
            now: 0,
          }),
        ),
      );
      // moto checks conditions without a lock, so there two racing takers may both get in.
      if (h.atomicConditionalWrites) expect(taken.filter(Boolean)).toHaveLength(3);
      else expect(taken.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    });

    it('creates a job once per tenant; the same id in another tenant is another job', async () => {
      const job = jobRecord();
      await h.backend.store.createJob(job);
      await expect(h.backend.store.createJob(job)).rejects.toBeInstanceOf(JobExistsError);
      const other = { ...job, tenant_id: `${job.tenant_id}-b` };
      await h.backend.store.createJob(other);
      expect(await h.backend.store.getJob(job.tenant_id, job.job_id)).toEqual(job);
      expect(await h.backend.store.getJob(other.tenant_id, job.job_id)).toEqual(other);
      expect(await h.backend.store.getJob(job.tenant_id, 'no-such-job')).toBeUndefined();
    });

    it('applies a transition whose expectation holds, appending history, and returns the new job', async () => {
      const job = jobRecord({ abort_requested: 'x' });
      await h.backend.store.createJob(job);
      const result = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { status: ['QUEUED'], hop: 0, stage: 'a', version: 1 },
        set: { status: 'RUNNING', lease: { owner: 'w1', expires_at: 5_000 } },
        unset: ['abort_requested'],
        append: [run()],
      });
      const stored = await h.backend.store.getJob(job.tenant_id, job.job_id);
      expect(result).toEqual({ ok: true, job: stored });
      expect(stored?.status).toBe('RUNNING');
      expect(stored?.lease).toEqual({ owner: 'w1', expires_at: 5_000 });
      expect(stored?.abort_requested).toBeUndefined();
      expect(stored?.version).toBe(2);
      expect(stored?.history).toEqual([run()]);
    });

    it('replaces the open run and appends after it in one write, keeping every field of the entries', async () => {
      const job = jobRecord({ history: [run()] });
      await h.backend.store.createJob(job);
      const ended = run({
        ended_at: 2_500,
        outcome: 'retrying',
        retry_in_ms: 900,
        error: { name: 'Oops', code: 'X|Y', message: 'a | b', retryable: true },
      });
      const mark: MarkEntry = {
        kind: 'mark',
        type: 'job.paused',
        stage: 'b',
        hop: 1,
        status: 'PAUSED',
        at: 3_000,
        data: { before_stage: 'b', note: 'x|y' },
      };
      const result = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { version: 1 },
        set: { hop: 1 },
        replace: { index: 0, entry: ended },
        append: [mark],
      });
      expect(result.ok).toBe(true);
      expect((await h.backend.store.getJob(job.tenant_id, job.job_id))?.history).toEqual([ended, mark]);
      // A replace of an entry that is not the last one is refused.
      const refused = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { version: 2 },
        set: {},
        replace: { index: 5, entry: ended },
      });
      expect(refused.ok).toBe(false);
    });

    it.each([
      ['status', { status: ['RUNNING' as const] }],
      ['hop', { hop: 3 }],
      ['stage', { stage: 'b' }],
      ['version', { version: 7 }],
      ['lease owner', { leaseOwner: 'someone-else' }],
      ['lease expiry', { leaseExpiredBy: 1_000 }],
      ['no control', { noControl: true }],
    ])('rejects a transition whose %s expectation fails, changing nothing', async (_name, expect_) => {
      const job = jobRecord({ lease: { owner: 'w1', expires_at: 2_000 }, pause_requested: true });
      await h.backend.store.createJob(job);
      const result = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: expect_,
        set: { status: 'DONE' },
        append: [run({ ended_at: 2_000, outcome: 'completed' })],
      });
      expect(result).toEqual({ ok: false, current: job });
      expect(await h.backend.store.getJob(job.tenant_id, job.job_id)).toEqual(job);
    });

    it('accepts lease expectations that hold', async () => {
      const job = jobRecord({ status: 'RUNNING', lease: { owner: 'w1', expires_at: 2_000 } });
      await h.backend.store.createJob(job);
      const mine = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { leaseOwner: 'w1', noControl: true, status: ['RUNNING'] },
        set: { lease: { owner: 'w1', expires_at: 3_000 } },
      });
      const expired = await h.backend.store.transition(job.tenant_id, job.job_id, {
        expect: { leaseExpiredBy: 3_000 },
        set: { lease: { owner: 'w2', expires_at: 9_000 } },
      });
      expect(mine.ok).toBe(true);
      expect(expired.ok).toBe(true);
      expect((await h.backend.store.getJob(job.tenant_id, job.job_id))?.lease?.owner).toBe('w2');
    });

    it('reports a missing job as a failed transition without a current record', async () => {
      const result = await h.backend.store.transition('t', 'missing-job', {
        expect: {},
        set: { status: 'DONE' },
      });
      expect(result).toEqual({ ok: false, current: undefined });
    });

    it('lists a tenant’s jobs by status, never another tenant’s', async () => {
      const tenant = uniquePrefix();
      const jobs = [
        jobRecord({ tenant_id: tenant, status: 'DONE' }),
        jobRecord({ tenant_id: tenant, status: 'DONE' }),
        jobRecord({ tenant_id: tenant, status: 'FAILED' }),
        jobRecord({ tenant_id: `${tenant}other`, status: 'DONE' }),
      ];
      for (const job of jobs) await h.backend.store.createJob(job);
      const done = await h.backend.store.listJobs({ tenant_id: tenant, status: 'DONE' });
      const all = await h.backend.store.listJobs({ tenant_id: tenant });
      const first = await h.backend.store.listJobs({ tenant_id: tenant, limit: 2 });
      const second = await h.backend.store.listJobs({
        tenant_id: tenant,
        limit: 2,
        cursor: first.cursor ?? '',
      });
      expect(done.items.map((j) => j.job_id).sort()).toEqual([jobs[0]?.job_id, jobs[1]?.job_id].sort());
      expect(all.items).toHaveLength(3);
      expect(new Set([...first.items, ...second.items].map((j) => j.job_id)).size).toBe(3);
      expect(second.cursor).toBeUndefined();
    });

    it('follows a job into the status listing when its status changes, and counts statuses', async () => {
      const tenant = uniquePrefix();
      const job = jobRecord({ tenant_id: tenant });
      await h.backend.store.createJob(job);
      await h.backend.store.transition(tenant, job.job_id, {
        expect: { status: ['QUEUED'] },
        set: {
          status: 'DONE',
          updated_at: '2026-01-01T00:00:05.000Z',
          finished_at: '2026-01-01T00:00:05.000Z',
        },
      });
      await eventually(
        async () =>
          (await h.backend.store.listJobs({ tenant_id: tenant, status: 'DONE' })).items.length === 1,
        'the job in the DONE listing',
      );
      expect((await h.backend.store.listJobs({ tenant_id: tenant, status: 'QUEUED' })).items).toEqual([]);
      const counts = await h.backend.store.countJobs({
        tenant_id: tenant,
        since: '2025-12-31T00:00:00.000Z',
      });
      expect(counts).toMatchObject({ DONE: 1, QUEUED: 0, FAILED: 0 });
      const later = await h.backend.store.countJobs({ tenant_id: tenant, since: '2026-02-01T00:00:00.000Z' });
      expect(later.DONE).toBe(0);
    });

    it('filters listings by pipeline, stage, tags, creation time and id prefix, page by page', async () => {
      const tenant = uniquePrefix();
      const jobs = Array.from({ length: 7 }, (_, i) =>
        jobRecord({
          tenant_id: tenant,
          job_id: `${i % 2 === 0 ? 'even' : 'odd'}-${i}`,
          pipeline: i % 2 === 0 ? 'even' : 'odd',
          stage: i < 3 ? 'a' : 'b',
          tags: { batch: i < 5 ? 'x' : 'y' },
          created_at: `2026-01-01T00:00:0${i}.000Z`,
          status: 'QUEUED',
        }),
      );
      for (const job of jobs) await h.backend.store.createJob(job);
      const ids = async (query: Omit<JobQuery, 'tenant_id' | 'cursor'>): Promise<string[][]> => {
        const out: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await h.backend.store.listJobs({
            tenant_id: tenant,
            ...query,
            ...(cursor ? { cursor } : {}),
          });
          out.push(page.items.map((j) => j.job_id));
          cursor = page.cursor;
        } while (cursor !== undefined);
        return out.filter((p) => p.length > 0);
      };
      expect(await ids({ pipeline: 'even', limit: 3 })).toEqual([['even-6', 'even-4', 'even-2'], ['even-0']]);
      expect((await ids({ pipeline: 'odd', status: 'QUEUED', limit: 2 })).flat().sort()).toEqual([
        'odd-1',
        'odd-3',
        'odd-5',
      ]);
      expect((await ids({ stage: 'a' })).flat()).toEqual(['even-2', 'odd-1', 'even-0']);
      expect((await ids({ tags: { batch: 'y' } })).flat()).toEqual(['even-6', 'odd-5']);
      expect(
        (await ids({ since: '2026-01-01T00:00:02.000Z', until: '2026-01-01T00:00:04.000Z' })).flat(),
      ).toEqual(['odd-3', 'even-2']);
      expect((await ids({ idPrefix: 'odd-' })).flat()).toEqual(['odd-5', 'odd-3', 'odd-1']);
      expect((await h.backend.store.listJobs({ tenant_id: tenant, pipeline: 'none' })).items).toEqual([]);
    });

    it('lists the jobs that entered a status before a time, oldest first, and every tenant', async () => {
      const tenant = uniquePrefix();
      const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
      for (let i = 0; i < 4; i += 1) {
        await h.backend.store.createJob(
          jobRecord({
            tenant_id: tenant,
            job_id: `j${i}`,
            created_at: at(i),
            updated_at: at(i),
            status: 'QUEUED',
          }),
        );
      }
      // j1 moves to RETRY_WAITING at second 8; j3 stays QUEUED but its record changes at second 9.
      await h.backend.store.transition(tenant, 'j1', {
        expect: { status: ['QUEUED'] },
        set: { status: 'RETRY_WAITING', updated_at: at(8) },
      });
      await h.backend.store.transition(tenant, 'j3', {
        expect: { status: ['QUEUED'] },
        set: { status: 'QUEUED', hop: 1, updated_at: at(9) },
      });
      const entered = async (status: 'QUEUED' | 'RETRY_WAITING', before: string): Promise<string[]> => {
        const out: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await h.backend.store.listJobs({
            tenant_id: tenant,
            status,
            enteredBefore: before,
            limit: 1,
            ...(cursor ? { cursor } : {}),
          });
          out.push(...page.items.map((j) => j.job_id));
          cursor = page.cursor;
        } while (cursor !== undefined);
        return out;
      };
      await eventually(
        async () => (await entered('RETRY_WAITING', at(9))).length === 1,
        'the index to follow',
      );
      // j3 keeps the time it entered QUEUED: a stage hop from QUEUED to QUEUED is no status change.
      expect(await entered('QUEUED', at(9))).toEqual(['j0', 'j2', 'j3']);
      expect(await entered('QUEUED', at(1))).toEqual(['j0']);
      expect(await entered('RETRY_WAITING', at(8))).toEqual([]);
      expect(await entered('RETRY_WAITING', at(9))).toEqual(['j1']);

      const tenants: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.backend.store.listTenants({ limit: 2, ...(cursor ? { cursor } : {}) });
        tenants.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(tenants).toContain(tenant);
      expect(new Set(tenants).size).toBe(tenants.length);
    });

    it('refuses a cursor it did not give out, or one of another tenant', async () => {
      const tenant = uniquePrefix();
      for (let i = 0; i < 3; i += 1) await h.backend.store.createJob(jobRecord({ tenant_id: tenant }));
      const first = await h.backend.store.listJobs({ tenant_id: tenant, limit: 1 });
      await expect(h.backend.store.listJobs({ tenant_id: tenant, cursor: 'garbage!' })).rejects.toMatchObject(
        {
          code: 'BAD_CURSOR',
        },
      );
      await expect(
        h.backend.store.listJobs({ tenant_id: `${tenant}x`, cursor: first.cursor ?? '' }),
      ).rejects.toMatchObject({ code: 'BAD_CURSOR' });
    });

    it('parks a job only on an active hold, counting it; releasing stops counting it', async () => {
      const tenant = uniquePrefix();
      const hold: Hold = {
        hold_id: uniquePrefix(),
        tenant_id: tenant,
        selector: { provider: 'x' },
        until: '2030-01-01T00:00:00.000Z',
        created_at: '2026-01-01T00:00:00.000Z',
        state: 'active',
        parked: 0,
      };
      await h.backend.store.putHold(hold);
      const job = jobRecord({ tenant_id: tenant });
      await h.backend.store.createJob(job);
      const park = {
        expect: { status: ['QUEUED' as const] },
        set: { status: 'HELD' as const, held_by: hold.hold_id },
      };
      const parked = await h.backend.store.parkOnHold(
        tenant,
        job.job_id,
        park,
        hold.hold_id,
        Date.parse('2026-06-01'),
      );
      expect(parked !== 'hold-inactive' && parked.ok).toBe(true);
      expect(await h.backend.store.getHold(tenant, hold.hold_id)).toMatchObject({ parked: 1 });
      expect(await h.backend.store.deleteHoldIfEmpty(tenant, hold.hold_id)).toBe(false);
      expect(await h.backend.store.releaseHold(tenant, hold.hold_id)).toBe(true);
      const other = jobRecord({ tenant_id: tenant });
      await h.backend.store.createJob(other);
      expect(
        await h.backend.store.parkOnHold(tenant, other.job_id, park, hold.hold_id, Date.parse('2026-06-01')),
      ).toBe('hold-inactive');
      expect((await h.backend.store.getJob(tenant, other.job_id))?.status).toBe('QUEUED');
      const released = await h.backend.store.releaseFromHold(
        tenant,
        job.job_id,
        { expect: { status: ['HELD'] }, set: { status: 'QUEUED' }, unset: ['held_by'] },
        hold.hold_id,
      );
      expect(released.ok).toBe(true);
      expect(await h.backend.store.getHold(tenant, hold.hold_id)).toMatchObject({
        parked: 0,
        state: 'releasing',
      });
      expect(await h.backend.store.deleteHoldIfEmpty(tenant, hold.hold_id)).toBe(true);
      expect(await h.backend.store.getHold(tenant, hold.hold_id)).toBeUndefined();
    });

    it('lists holds by tenant, the active ones, and the ones the sweeper must see to', async () => {
      const tenant = uniquePrefix();
      const base = {
        tenant_id: tenant,
        selector: { k: 'v' },
        created_at: '2026-01-01T00:00:00.000Z',
        parked: 0,
      };
      const live: Hold = {
        ...base,
        hold_id: uniquePrefix(),
        until: '2030-01-01T00:00:00.000Z',
        state: 'active',
      };
      const expired: Hold = {
        ...base,
        hold_id: uniquePrefix(),
        until: '2026-01-02T00:00:00.000Z',
        state: 'active',
      };
      const releasing: Hold = {
        ...base,
        hold_id: uniquePrefix(),
        until: '2030-01-01T00:00:00.000Z',
        state: 'releasing',
      };
      for (const hold of [live, expired, releasing]) await h.backend.store.putHold(hold);
      const ids = (holds: readonly Hold[]) =>
        holds
          .filter((x) => x.tenant_id === tenant)
          .map((x) => x.hold_id)
          .sort();
      expect(ids(await h.backend.store.listHolds({ tenant_id: tenant }))).toEqual(
        [live, expired, releasing].map((x) => x.hold_id).sort(),
      );
      const active = await eventually(async () => {
        const found = ids(await h.backend.store.listHolds({ active: true }));
        return found.length === 2 ? found : undefined;
      }, 'the active holds');
      expect(active).toEqual([live, expired].map((x) => x.hold_id).sort());
      expect(ids(await h.backend.store.listHolds({ due: '2026-06-01T00:00:00.000Z' }))).toEqual(
        [expired, releasing].map((x) => x.hold_id).sort(),
      );
    });

    it('records a dead letter once per id, under its tenant, newest first', async () => {
      const tenant = uniquePrefix();
      const record = (id: string, at: string) => ({
        dead_letter_id: id,
        queue: 'q',
        tenant_id: tenant,
        job_id: 'j1',
        code: 'X',
        reason: 'because',
        body: '{}',
        received_at: at,
      });
      const older = record(`00001-${uniquePrefix()}`, '2026-01-01T00:00:00.000Z');
      const newer = record(`00002-${uniquePrefix()}`, '2026-01-02T00:00:00.000Z');
      await h.backend.store.recordDeadLetter(older);
      await h.backend.store.recordDeadLetter({ ...older, reason: 'again' });
      await h.backend.store.recordDeadLetter(newer);
      expect((await h.backend.store.listDeadLetters({ tenant_id: tenant })).items).toEqual([newer, older]);
      expect((await h.backend.store.listDeadLetters({ tenant_id: `${tenant}x` })).items).toEqual([]);
      expect(await h.backend.store.getDeadLetter(tenant, older.dead_letter_id)).toEqual(older);
      expect(await h.backend.store.getDeadLetter(`${tenant}x`, older.dead_letter_id)).toBeUndefined();
    });

    it('tracks connections and their subscriptions; deleting a connection unsubscribes it', async () => {
      const id = uniquePrefix();
      const other = uniquePrefix();
      const topic = `job:${uniquePrefix()}` as const;
      await h.backend.store.putConnection({
        connection_id: id,
        tenant_id: 't',
        connected_at: '2026-01-01T00:00:00Z',
      });
      await h.backend.store.putConnection({
        connection_id: other,
        tenant_id: 't',
        connected_at: '2026-01-01T00:00:00Z',
      });
      const watcher = uniquePrefix();
      expect(await h.backend.store.watched(watcher)).toBe(false);
      await h.backend.store.subscribe({ connection_id: id, topic, tenant_id: watcher });
      await h.backend.store.subscribe({ connection_id: other, topic, tenant_id: watcher });
      await h.backend.store.unsubscribe(other, topic);
      const before = await h.backend.store.subscribers(topic);
      expect(await h.backend.store.watched(watcher)).toBe(true);
      await h.backend.store.deleteConnection(id);
      expect(before).toEqual([{ connection_id: id, topic, tenant_id: watcher }]);
      expect(await h.backend.store.subscribers(topic)).toEqual([]);
      expect(await h.backend.store.watched(watcher)).toBe(false);
      expect(await h.backend.store.getConnection(id)).toBeUndefined();
      expect((await h.backend.store.getConnection(other))?.tenant_id).toBe('t');
    });
  });

  describe('BlobStore', () => {
    it('puts, heads, gets, lists and deletes objects', async () => {
      const prefix = `${uniquePrefix()}dir`;
      await h.backend.blobs.put(`${prefix}/a.txt`, 'hello', { contentType: 'text/plain' });
      await h.backend.blobs.put(`${prefix}/b.bin`, new Uint8Array([1, 2, 3]));
      const head = await h.backend.blobs.head(`${prefix}/a.txt`);
      const body = Buffer.from(await h.backend.blobs.get(`${prefix}/a.txt`)).toString();
      const listed = await h.backend.blobs.list(`${prefix}/`);
      await h.backend.blobs.delete(`${prefix}/a.txt`);
      expect(head).toMatchObject({ key: `${prefix}/a.txt`, size: 5, contentType: 'text/plain' });
      expect(body).toBe('hello');
      expect(listed.map((b) => b.key)).toEqual([`${prefix}/a.txt`, `${prefix}/b.bin`]);
      expect(await h.backend.blobs.head(`${prefix}/a.txt`)).toBeUndefined();
      await expect(h.backend.blobs.get(`${prefix}/a.txt`)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('streams a large object in and out unchanged', async () => {
      const key = `${uniquePrefix()}big.bin`;
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < chunk.length; i += 1) chunk[i] = (i * 31) % 251;
      const chunks = Array.from({ length: 12 }, (_, i) => Buffer.from(chunk.map((b) => (b + i) % 256)));
      await h.backend.blobs.put(key, Readable.from(chunks));
      let size = 0;
      let mismatches = 0;
      let offset = 0;
      const expected = Buffer.concat(chunks);
      for await (const part of await h.backend.blobs.getStream(key)) {
        const buf = Buffer.isBuffer(part) ? part : Buffer.from(part);
        if (!buf.equals(expected.subarray(offset, offset + buf.length))) mismatches += 1;
        offset += buf.length;
        size += buf.length;
      }
      expect(size).toBe(expected.length);
      expect(mismatches).toBe(0);
    });

    it('rejects keys that could escape their namespace', async () => {
      for (const key of ['', '/abs', 'a/../b', 'a//b', 'trailing/', 'back\\slash']) {
        await expect(h.backend.blobs.put(key, 'x')).rejects.toBeInstanceOf(InvalidParamError);
      }
    });

    it('signs URLs a client can PUT to and GET from', async (ctx) => {
      if (!h.presignable) ctx.skip();
      const key = `${uniquePrefix()}upload.csv`;
      const put = await h.backend.blobs.presign(key, { method: 'PUT', expiresInS: 60 });
      const res = await fetch(put, { method: 'PUT', body: 'a,b\n1,2\n' });
      const get = await h.backend.blobs.presign(key, { method: 'GET', expiresInS: 60 });
      const text = await (await fetch(get)).text();
      expect(res.ok).toBe(true);
      expect(text).toBe('a,b\n1,2\n');
    });
  });

  describe('RecordStore', () => {
    const tenant = 'tenant-r';

    it('creates a record once, then updates it only at the version it was read at', async () => {
      // Prepare
      const collection = `${uniquePrefix()}analyses/structure-1`;
      const created = await h.backend.records.putRecord(
        tenant,
        collection,
        'a1',
        { status: 'READY', n: [1, 2] },
        'absent',
      );
      // Act
      const updated = await h.backend.records.putRecord(
        tenant,
        collection,
        'a1',
        { status: 'QUEUED', n: [1, 2] },
        { version: 1 },
      );
      // Both settle before either is asserted, so neither rejection is ever left unhandled.
      const [stale, again] = await Promise.allSettled([
        h.backend.records.putRecord(tenant, collection, 'a1', { status: 'RUNNING' }, { version: 1 }),
        h.backend.records.putRecord(tenant, collection, 'a1', { status: 'READY' }, 'absent'),
      ]);
      // Assess
      expect(created).toMatchObject({ id: 'a1', version: 1, data: { status: 'READY', n: [1, 2] } });
      expect(updated.version).toBe(2);
      expect(stale.status === 'rejected' && stale.reason).toBeInstanceOf(RecordConflictError);
      expect(again.status === 'rejected' && again.reason).toBeInstanceOf(RecordConflictError);
      expect(await h.backend.records.getRecord(tenant, collection, 'a1')).toMatchObject({
        version: 2,
        data: { status: 'QUEUED' },
      });
      expect(await h.backend.records.getRecord(tenant, collection, 'missing')).toBeUndefined();
    });

    it('lists a collection by id, page by page, and deletes', async () => {
      const collection = `${uniquePrefix()}c`;
      for (const id of ['b', 'a', 'd', 'c', 'e'])
        await h.backend.records.putRecord(tenant, collection, id, { id });
      await h.backend.records.putRecord(tenant, `${collection}-other`, 'z', {});
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.backend.records.listRecords(tenant, collection, {
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await h.backend.records.deleteRecord(tenant, collection, 'a')).toBe(true);
      expect(await h.backend.records.deleteRecord(tenant, collection, 'a')).toBe(false);
      await expect(h.backend.records.getRecord(tenant, 'bad collection', 'x')).rejects.toBeInstanceOf(
        InvalidParamError,
      );
      // Another tenant's collection of the same name is another collection.
      expect((await h.backend.records.listRecords('tenant-other', collection)).items).toEqual([]);
    });

    it('counts versions up in place when a put has no condition', async () => {
      const collection = `${uniquePrefix()}c`;
      await h.backend.records.putRecord(tenant, collection, 'x', { n: 1 });
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => h.backend.records.putRecord(tenant, collection, 'x', { n: i })),
      );
      expect(results.map((r) => r.version).sort()).toEqual([2, 3, 4, 5, 6]);
      expect((await h.backend.records.getRecord(tenant, collection, 'x'))?.version).toBe(6);
    });
  });

  describe('EventPublisher', () => {
    it('delivers service events to subscribers', async () => {
      const collector = await h.collectEvents();
      const tenant = uniquePrefix();
      const event = {
        type: 'oma.analysis.status',
        tenant_id: tenant,
        time: new Date().toISOString(),
        detail: { status: 'RUNNING' },
      };
      await h.backend.events.publishService([event]);
      await h.backend.events.flush();
      const seen = await eventually(
        () => collector.serviceEvents().find((e) => e.tenant_id === tenant),
        'the service event',
      );
      await collector.stop();
      expect(seen).toEqual(event);
    });

    it('delivers published events to subscribers', async () => {
      const collector = await h.collectEvents();
      const job = jobRecord();
      const events = [jobEvent(job), jobEvent(job, { type: 'job.done', status: 'DONE' })];
      await h.backend.events.publish(events);
      await h.backend.events.flush();
      const seen = await eventually(() => {
        const mine = collector.events().filter((e) => e.job_id === job.job_id);
        return mine.length === 2 ? mine : undefined;
      }, 'both events');
      await collector.stop();
      expect(seen.map((e) => e.type).sort()).toEqual(['job.created', 'job.done']);
      expect(seen.find((e) => e.type === 'job.done')).toEqual(events[1]);
    });
  });
}
