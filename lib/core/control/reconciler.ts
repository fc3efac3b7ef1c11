import type { Topology } from '../engine/topology.js';
import type { Clock } from '../ports/clock.js';
import { serializeEnvelope } from '../ports/contract.js';
import { envelopeOf, type JobRecord, type JobStatus, type MarkEntry } from '../ports/job.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { JobStore } from '../ports/job-store.js';
import type { Logger } from '../ports/logger.js';

/**
 * The reconciler's knobs. Its acts are all harmless when wrong — a message re-sent for a job whose
 * message was not lost after all is a duplicate, which the runner's checks delete — so the knobs
 * trade how soon a lost message is replaced against how many reads a sweep makes.
 */
export interface ReconcilerOptions {
  /**
   * A job is looked at only once its state has not changed for this long (its message, if any,
   * has had time to be counted in its queue's depth). @default 120_000
   */
  readonly graceMs?: number;
  /**
   * A job whose state has not changed for this long gets its message again even while its queue
   * is busy (a message lost in a queue that never drains). Then once per period. @default 6 h
   */
  readonly staleAfterMs?: number;
  /** At most this many jobs examined per sweep (the rest wait for the next). @default 2_000 */
  readonly maxJobsPerSweep?: number;
}

export interface ReconcileReport {
  /** Jobs whose message was re-sent. */
  readonly resent: number;
  /** HELD jobs whose hold is gone, put back on their queue. */
  readonly released: number;
  /** Jobs read. */
  readonly examined: number;
}

interface Deps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly topology: Topology;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Puts a HELD job back on its queue (the JobService's requeue: message first, then the write). */
  readonly release: (job: JobRecord, mark: MarkEntry) => Promise<JobRecord | undefined>;
}

/** States that promise a message on the job's stage queue. */
const WAITING: readonly JobStatus[] = ['QUEUED', 'RETRY_WAITING', 'RUNNING'];

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The safety net under the message-first design (docs/reliability.md). Every action that promises a
 * job a message sends it before writing the state, and a stage's message is deleted only after
 * its successor's is sent, so no path of Stagecoach's own leaves a job waiting for nothing. A
 * message can still go missing outside it: a queue purged by hand, a message kept past the
 * queue's retention, an emulator whose conditions are not atomic. The reconciler finds such jobs
 * and sends their message again; the runner's checks make an extra copy harmless.
 *
 * A sweep walks the tenants; for each, the jobs that entered QUEUED, RETRY_WAITING or RUNNING
 * more than the grace ago (oldest first, from the by-status index: no scan), and re-sends a job's
 * message when its queue is empty — nothing visible, in flight or delayed, so its message cannot
 * be there — or when the job has not moved for `staleAfterMs`. A RETRY_WAITING job counts once its
 * retry is due, a RUNNING one once its lease has expired. A tenant without holds has no HELD job
 * either; one found is put back on its queue.
 */
export class Reconciler {
  readonly #d: Deps;
  readonly #graceMs: number;
  readonly #staleAfterMs: number;
  readonly #max: number;

  constructor(deps: Deps, options: ReconcilerOptions = {}) {
    this.#d = deps;
    this.#graceMs = options.graceMs ?? 120_000;
    this.#staleAfterMs = options.staleAfterMs ?? 6 * 3_600_000;
    this.#max = options.maxJobsPerSweep ?? 2_000;
  }

  async sweep(): Promise<ReconcileReport> {
    const { store, clock } = this.#d;
    const now = clock.now();
    const empty = await this.#emptyQueues();
    let resent = 0;
    let released = 0;
    let examined = 0;
    let cursor: string | undefined;
    do {
      const tenants = await store.listTenants({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      for (const tenant of tenants.items) {
        for (const status of WAITING) {
          let page: string | undefined;
          do {
            if (examined >= this.#max) return { resent, released, examined };
            const jobs = await store.listJobs({
              tenant_id: tenant,
              status,
              enteredBefore: iso(now - this.#graceMs),
              limit: Math.min(100, this.#max - examined),
              ...(page === undefined ? {} : { cursor: page }),
            });
            examined += jobs.items.length;
            for (const job of jobs.items) if (await this.#heal(job, now, empty)) resent += 1;
            page = jobs.cursor;
          } while (page !== undefined);
        }
        released += await this.#orphanedHolds(tenant, now);
      }
      cursor = tenants.cursor;
    } while (cursor !== undefined);
    return { resent, released, examined };
  }

  /** Queues with nothing visible, in flight or delayed: a job waiting on one has lost its message. */
  async #emptyQueues(): Promise<ReadonlySet<string>> {
    const empty = new Set<string>();
    for (const stage of this.#d.topology.all()) {
      for (const lane of stage.lanes) {
        const depth = await this.#d.queue.depth(lane);
        if (depth.visible + depth.inFlight + depth.delayed === 0) empty.add(lane);
      }
    }
    return empty;
  }

  /** Re-sends the job's message when its state says one is overdue; true when it did. */
  async #heal(job: JobRecord, now: number, empty: ReadonlySet<string>): Promise<boolean> {
    const { topology, queue, store, logger } = this.#d;
    const pipeline = topology.pipelines.get(job.pipeline);
    if (pipeline === undefined || !pipeline.stages.some((s) => s.name === job.stage)) return false;
    const idle = now - Date.parse(job.updated_at);
    if (idle < this.#graceMs) return false;
    if (job.status === 'RETRY_WAITING' && Date.parse(job.retry_at ?? job.updated_at) + this.#graceMs > now) {
      return false;
    }
    if (job.status === 'RUNNING' && (job.lease?.expires_at ?? 0) + this.#graceMs > now) return false;
    const lane = topology.queueFor(job.pipeline, job.stage, job.priority);
    const stale = idle >= this.#staleAfterMs;
    if (!empty.has(lane) && !stale) return false;
    const { retry_at: _due, ...rest } = job;
    await queue.send(lane, [
      { body: serializeEnvelope(envelopeOf(rest), pipeline.contractLimitBytes), group: job.tenant_id },
    ]);
    // Marks the job as looked after, so a stale one is not sent again before the next period.
    await store.transition(job.tenant_id, job.job_id, {
      expect: { version: job.version },
      set: { updated_at: iso(now) },
    });
    logger.warn('re-sent the message of a job that was waiting for a lost one', {
      tenant_id: job.tenant_id,
      job_id: job.job_id,
      status: job.status,
      stage: job.stage,
      hop: job.hop,
      idle_ms: idle,
      why: stale ? 'stale' : 'queue empty',
    });
    return true;
  }

  /** A tenant without holds has no job parked on one: any found is put back on its queue. */
  async #orphanedHolds(tenant: string, now: number): Promise<number> {
    const { store } = this.#d;
    if ((await store.listHolds({ tenant_id: tenant })).length > 0) return 0;
    const held = await store.listJobs({
      tenant_id: tenant,
      status: 'HELD',
      enteredBefore: iso(now - this.#graceMs),
      limit: 100,
    });
    let released = 0;
    for (const job of held.items) {
      const mark: MarkEntry = {
        kind: 'mark',
        type: 'job.resumed',
        stage: job.stage,
        hop: job.hop + 1,
        status: 'QUEUED',
        at: now,
        data: { ...(job.held_by === undefined ? {} : { hold_id: job.held_by }), reason: 'its hold is gone' },
      };
      if ((await this.#d.release(job, mark)) !== undefined) released += 1;
    }
    if (released > 0) {
      this.#d.logger.warn('released jobs parked by holds that are gone', { tenant_id: tenant, released });
    }
    return released;
  }
}
