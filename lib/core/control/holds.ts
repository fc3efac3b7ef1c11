import { randomUUID } from 'node:crypto';
import type { HoldCache } from '../engine/holds.js';
import { type Clock, sleep } from '../ports/clock.js';
import { ValidationError } from '../ports/errors.js';
import type { Hold, JobQuery, JobRecord, MarkEntry, Page } from '../ports/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { Logger } from '../ports/logger.js';
import { type Caller, type HoldRequest, HoldRequestSchema } from './job-requests.js';

/** How often a release looks again for parked jobs the listing index does not show yet. */
const DRAIN_PASSES = 5;
const DRAIN_WAIT_MS = 200;

type ListJobs = (query: JobQuery) => Promise<Page<JobRecord>>;

export interface HoldControlOptions {
  readonly store: JobStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly holds?: HoldCache;
  /**
   * Puts a held job back on its queue (the JobService's requeue: message first, then one write of
   * the job and the hold's count).
   */
  readonly release: (job: JobRecord, mark: MarkEntry, holdId: string) => Promise<JobRecord | undefined>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Holds: a selector over job tags with an expiry; matching jobs park as HELD until the hold is
 * cleared or expires. A job parks only while its hold is `active`, in the same write that counts it
 * (JobStore.parkOnHold). Clearing makes the hold `releasing` first — from then on no job can park on
 * it — then releases the jobs it parked until its count is back to zero, and deletes it. A release
 * cut short (a crash, a timeout) leaves the hold `releasing`, visible, and the sweeper finishes it:
 * no job is ever left HELD by a hold that is gone.
 */
export class HoldControl {
  readonly #o: HoldControlOptions;

  constructor(options: HoldControlOptions) {
    this.#o = options;
  }

  async set(caller: Caller, input: HoldRequest): Promise<Hold> {
    const parsed = HoldRequestSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        `Invalid hold request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`,
        { code: 'BAD_REQUEST' },
      );
    }
    const req = parsed.data;
    const now = this.#o.clock.now();
    const hold: Hold = {
      hold_id: randomUUID(),
      tenant_id: caller.tenantId,
      selector: req.selector,
      until: iso(now + req.ttl_s * 1000),
      created_at: iso(now),
      state: 'active',
      parked: 0,
      ...(req.reason === undefined ? {} : { reason: req.reason }),
    };
    await this.#o.store.putHold(hold);
    this.#o.holds?.invalidate();
    return hold;
  }

  list(caller: Caller): Promise<readonly Hold[]> {
    return this.#o.store.listHolds({ tenant_id: caller.tenantId });
  }

  async clear(caller: Caller, holdId: string, listJobs: ListJobs): Promise<number> {
    const hold = await this.#o.store.getHold(caller.tenantId, holdId);
    if (hold === undefined) {
      throw new ValidationError(`Hold '${holdId}' was not found.`, { code: 'HOLD_NOT_FOUND' });
    }
    return this.#release(hold, listJobs);
  }

  /** Releases expired holds and finishes interrupted releases; returns how many jobs moved. */
  async releaseExpired(listJobs: ListJobs): Promise<number> {
    let released = 0;
    for (const hold of await this.#o.store.listHolds({ due: iso(this.#o.clock.now()) })) {
      released += await this.#release(hold, listJobs);
    }
    return released;
  }

  async #release(hold: Hold, listJobs: ListJobs): Promise<number> {
    const { store } = this.#o;
    if (hold.state === 'active' && !(await store.releaseHold(hold.tenant_id, hold.hold_id))) return 0;
    this.#o.holds?.invalidate();
    let released = 0;
    for (let pass = 0; pass < DRAIN_PASSES; pass += 1) {
      released += await this.#drainOnce(hold, listJobs);
      if (await store.deleteHoldIfEmpty(hold.tenant_id, hold.hold_id)) return released;
      // The hold still counts parked jobs the listing did not show: its index lags its table.
      await sleep(DRAIN_WAIT_MS * (pass + 1));
    }
    this.#o.logger.warn('a hold still counts parked jobs after its release; the sweeper will finish it', {
      hold_id: hold.hold_id,
      tenant_id: hold.tenant_id,
    });
    return released;
  }

  async #drainOnce(hold: Hold, listJobs: ListJobs): Promise<number> {
    let released = 0;
    let cursor: string | undefined;
    do {
      const page = await listJobs({
        tenant_id: hold.tenant_id,
        status: 'HELD',
        heldBy: hold.hold_id,
        limit: 100,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const job of page.items) {
        if (job.status !== 'HELD' || job.held_by !== hold.hold_id) continue;
        const mark: MarkEntry = {
          kind: 'mark',
          type: 'job.resumed',
          stage: job.stage,
          hop: job.hop + 1,
          status: 'QUEUED',
          at: this.#o.clock.now(),
          data: { hold_id: hold.hold_id, reason: 'hold released' },
        };
        if ((await this.#o.release(job, mark, hold.hold_id)) !== undefined) released += 1;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return released;
  }
}
