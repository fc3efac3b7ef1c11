import type { Clock } from '../ports/clock.js';
import type { JobRecord, RunEntry } from '../ports/job.js';
import type { ProgressUpdate } from './progress.js';
import { type ControlReason, type Execution, iso, type RunnerKit } from './runner-kit.js';

/** Reads what a heartbeat found: whether the claimed stage may go on, and if not why. */
export function controlReason(
  job: JobRecord | undefined,
  owner: string,
  hop: number,
): ControlReason | undefined {
  if (job === undefined || job.status !== 'RUNNING' || job.hop !== hop || job.lease?.owner !== owner) {
    return stoppedBy(job, hop);
  }
  if (job.abort_requested !== undefined) return 'aborted';
  if (job.pause_requested === true) return 'paused';
  return undefined;
}

/** Why a stage that is not (or no longer) this worker's must stop. */
export function stoppedBy(job: JobRecord | undefined, hop: number): ControlReason {
  if (job === undefined || job.hop !== hop) return 'lease-lost';
  if (job.status === 'ABORTED' || job.abort_requested !== undefined) return 'aborted';
  if (job.status === 'PAUSED' || job.status === 'HELD' || job.pause_requested === true) return 'paused';
  return 'lease-lost';
}

export interface LeaseKeeperOptions {
  readonly kit: RunnerKit;
  readonly exec: Execution;
  /** How long a claim lasts without renewal (and the message's visibility once claimed). */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** A stage still running this long after it started is claimed. */
  readonly claimAfterMs: number;
  readonly progress: () => ProgressUpdate | undefined;
  readonly onClaimed: (job: JobRecord, run: RunEntry) => void;
  readonly onStop: (reason: ControlReason) => void;
  readonly scheduler: HeartbeatScheduler;
  /** Extends the attempt's concurrency slot (renewed with the lease, every half lease). */
  readonly renewSlot?: (now: number) => Promise<void>;
}

/**
 * One timer for all the heartbeats of a runner: each in-flight stage registers its keeper, and a
 * single interval beats the ones that are due. Nothing is scheduled per message.
 */
export class HeartbeatScheduler {
  readonly #keepers = new Set<LeaseKeeper>();
  readonly #tickMs: number;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | undefined;

  constructor(tickMs: number, clock: Clock) {
    this.#tickMs = tickMs;
    this.#clock = clock;
  }

  add(keeper: LeaseKeeper): void {
    this.#keepers.add(keeper);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
      this.#timer.unref();
    }
  }

  remove(keeper: LeaseKeeper): void {
    this.#keepers.delete(keeper);
    if (this.#keepers.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    const now = this.#clock.now();
    for (const keeper of this.#keepers) keeper.maybeBeat(now);
  }
}

/**
 * The heartbeat of a running stage. A stage that ends before `claimAfterMs` is never claimed: its
 * result is written once, conditional on the job still waiting at its hop. One that runs longer is
 * claimed — status RUNNING, a lease, an open history entry — and its message's visibility is cut
 * to the lease, so if this worker dies another delivery takes the stage over once the lease has
 * expired. Every `heartbeatMs` the keeper then reads the job's control flags (abort, pause) and,
 * once half the lease has run out, renews the lease and the visibility together. A renewal that
 * keeps failing until the lease has expired stops the stage: another worker may own it now.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  #nextBeatAt = 0;
  #slotRenewedAt = 0;
  #tick: Promise<void> | undefined;
  #stopped = false;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
  }

  start(): void {
    this.#slotRenewedAt = this.#o.exec.startedAt;
    this.#nextBeatAt = this.#o.exec.startedAt + Math.min(this.#o.claimAfterMs, this.#o.heartbeatMs);
    this.#o.scheduler.add(this);
  }

  /** Called by the scheduler; beats when due and no beat is in progress. */
  maybeBeat(now: number): void {
    if (this.#stopped || now < this.#nextBeatAt || this.#tick !== undefined) return;
    this.#nextBeatAt = now + this.#o.heartbeatMs;
    this.#tick = this.#beat().finally(() => {
      this.#tick = undefined;
    });
  }

  /** Stops beating and waits for a beat in progress (so no write races the outcome's). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.scheduler.remove(this);
    await this.#tick;
  }

  async #beat(): Promise<void> {
    const { kit, exec } = this.#o;
    const now = kit.clock.now();
    try {
      await this.#renewSlot(now);
      const claim = exec.claim;
      if (claim === undefined) {
        if (now - exec.startedAt >= this.#o.claimAfterMs) await this.#claim(now);
        return;
      }
      if (claim.leaseExpiresAt - now < this.#o.leaseMs / 2) {
        await this.#renew(now);
        return;
      }
      this.#check(
        controlReason(
          await kit.store.getJob(exec.env.tenant_id, exec.env.job_id),
          kit.workerId,
          exec.env.hop,
        ),
      );
    } catch (error) {
      // A failed heartbeat is retried at the next one while the lease has time left; once it has
      // expired another delivery may have taken the stage, so this one stops.
      const left = (exec.claim?.leaseExpiresAt ?? Number.POSITIVE_INFINITY) - kit.clock.now();
      exec.log.warn('heartbeat failed', { error, lease_ms_left: left });
      if (left <= 0) this.#check('lease-lost');
    }
  }

  async #renewSlot(now: number): Promise<void> {
    if (this.#o.renewSlot === undefined || now - this.#slotRenewedAt < this.#o.leaseMs / 2) return;
    try {
      await this.#o.renewSlot(now);
      this.#slotRenewedAt = now;
    } catch (error) {
      // Tried again at the next beat; a slot that lapses only lets one more of the tenant's run.
      this.#o.exec.log.warn('renewing the concurrency slot failed', { error });
    }
  }

  async #claim(now: number): Promise<void> {
    const { kit, exec } = this.#o;
    const { env } = exec;
    const run: RunEntry = {
      kind: 'run',
      stage: env.stage,
      hop: env.hop,
      attempt: exec.retryCount + 1,
      worker: kit.workerId,
      started_at: exec.startedAt,
    };
    const expiresAt = now + this.#o.leaseMs;
    const result = await kit.store.transition(env.tenant_id, env.job_id, {
      expect: kit.expectation(exec, false),
      set: {
        status: 'RUNNING',
        retry_count: exec.retryCount,
        lease: { owner: kit.workerId, expires_at: expiresAt },
        updated_at: iso(now),
      },
      unset: ['retry_at', 'progress', 'held_by'],
      append: [run],
    });
    if (!result.ok) {
      // An earlier claim of this very execution landed and only its answer was lost: adopt it.
      const own = ownClaim(result.current, env.hop, kit.workerId, exec.startedAt);
      if (own !== undefined) {
        exec.claim = { index: own.index, run: own.run, leaseExpiresAt: own.expiresAt };
        await kit.queue.changeVisibility(exec.source.queue, exec.message.receiptHandle, this.#o.leaseMs);
        this.#o.onClaimed(own.job, own.run);
        return;
      }
      this.#check(stoppedBy(result.current, env.hop));
      return;
    }
    exec.claim = { index: result.job.history.length - 1, run, leaseExpiresAt: expiresAt };
    await kit.queue.changeVisibility(exec.source.queue, exec.message.receiptHandle, this.#o.leaseMs);
    this.#o.onClaimed(result.job, run);
  }

  async #renew(now: number): Promise<void> {
    const { kit, exec } = this.#o;
    const expiresAt = now + this.#o.leaseMs;
    await kit.queue.changeVisibility(exec.source.queue, exec.message.receiptHandle, this.#o.leaseMs);
    const progress = this.#o.progress();
    const result = await kit.store.transition(exec.env.tenant_id, exec.env.job_id, {
      expect: kit.expectation(exec, true),
      set: {
        lease: { owner: kit.workerId, expires_at: expiresAt },
        updated_at: iso(now),
        ...(progress === undefined ? {} : { progress: { ...progress, at: iso(now) } }),
      },
    });
    if (result.ok) {
      if (exec.claim !== undefined) exec.claim.leaseExpiresAt = expiresAt;
      return;
    }
    this.#check(controlReason(result.current, kit.workerId, exec.env.hop) ?? 'lease-lost');
  }

  #check(reason: ControlReason | undefined): void {
    if (reason === undefined || this.#stopped || this.#o.exec.stopped !== undefined) return;
    this.#o.exec.stopped = reason;
    this.#o.onStop(reason);
  }
}

/** The job's open run, when it is this execution's own claim (same worker, hop and start). */
function ownClaim(
  job: JobRecord | undefined,
  hop: number,
  workerId: string,
  startedAt: number,
): { job: JobRecord; run: RunEntry; index: number; expiresAt: number } | undefined {
  if (job?.status !== 'RUNNING' || job.hop !== hop || job.lease?.owner !== workerId) return undefined;
  const index = job.history.length - 1;
  const run = job.history[index];
  if (run?.kind !== 'run' || run.ended_at !== undefined || run.started_at !== startedAt) return undefined;
  if (run.worker !== workerId || run.hop !== hop) return undefined;
  return { job, run, index, expiresAt: job.lease.expires_at };
}
