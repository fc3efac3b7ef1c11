import type { Clock } from '../ports/clock.js';
import type { JobRecord } from '../ports/job.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { JobStore } from '../ports/job-store.js';
import type { Logger } from '../ports/logger.js';
import type { ProgressUpdate } from './progress.js';

/** Why a running stage must stop, as seen by its heartbeat. */
export type ControlReason = 'aborted' | 'paused' | 'lease-lost';

export interface LeaseKeeperOptions {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queueName: string;
  readonly receiptHandle: string;
  readonly jobId: string;
  readonly hop: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** When the lease taken by the claim expires. */
  readonly leaseExpiresAt: number;
  readonly progress: () => ProgressUpdate | undefined;
  readonly onControl: (reason: ControlReason, job: JobRecord | undefined) => void;
  readonly scheduler: HeartbeatScheduler;
}

/** Reads what a heartbeat found: whether the stage may go on, and if not why. */
export function controlReason(
  job: JobRecord | undefined,
  owner: string,
  hop: number,
): ControlReason | undefined {
  if (job === undefined || job.status !== 'RUNNING' || job.hop !== hop || job.lease?.owner !== owner) {
    return 'lease-lost';
  }
  if (job.abort_requested !== undefined) return 'aborted';
  if (job.pause_requested === true) return 'paused';
  return undefined;
}

/**
 * One timer for all the heartbeats of a runner: each in-flight stage registers its keeper, and a
 * single interval beats the ones that are due. Nothing is scheduled per message.
 */
export class HeartbeatScheduler {
  readonly #keepers = new Set<LeaseKeeper>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(tickMs: number) {
    this.#tickMs = tickMs;
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
    const now = Date.now();
    for (const keeper of this.#keepers) keeper.maybeBeat(now);
  }
}

/**
 * Heartbeat of a running stage. Every `heartbeatMs` it reads the job's control flags (abort, pause)
 * and, once half the lease has run out, renews both the lease in the store and the message's
 * visibility in the queue — keeping the lease no longer than the visibility, so that a crashed
 * worker's message re-appears only when its lease has expired and the next delivery may claim it.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  #expiresAt: number;
  #nextBeatAt = 0;
  #tick: Promise<void> | undefined;
  #fired = false;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
    this.#expiresAt = options.leaseExpiresAt;
  }

  start(): void {
    this.#nextBeatAt = Date.now() + this.#o.heartbeatMs;
    this.#o.scheduler.add(this);
  }

  /** Called by the scheduler; beats when due and no beat is in progress. */
  maybeBeat(now: number): void {
    if (now < this.#nextBeatAt || this.#tick !== undefined) return;
    this.#nextBeatAt = now + this.#o.heartbeatMs;
    this.#tick = this.#beat().finally(() => {
      this.#tick = undefined;
    });
  }

  async stop(): Promise<void> {
    this.#o.scheduler.remove(this);
    await this.#tick;
  }

  async #beat(): Promise<void> {
    const o = this.#o;
    const now = o.clock.now();
    try {
      if (this.#expiresAt - now < o.leaseMs / 2) {
        const expiresAt = now + o.leaseMs;
        await o.queue.changeVisibility(o.queueName, o.receiptHandle, o.leaseMs);
        const progress = o.progress();
        const result = await o.store.transition(o.jobId, {
          expect: { status: ['RUNNING'], hop: o.hop, leaseOwner: o.owner, noControl: true },
          set: {
            lease: { owner: o.owner, expires_at: expiresAt },
            updated_at: new Date(now).toISOString(),
            ...(progress === undefined ? {} : { progress: { ...progress, at: new Date(now).toISOString() } }),
          },
        });
        if (result.ok) {
          this.#expiresAt = expiresAt;
          return;
        }
        this.#check(result.current);
        return;
      }
      this.#check(await o.store.getJob(o.jobId));
    } catch (error) {
      // A failed heartbeat is not fatal: the next one retries; the lease still has time left.
      o.log.warn('heartbeat failed', { error, lease_ms_left: this.#expiresAt - now });
    }
  }

  #check(job: JobRecord | undefined): void {
    const reason = controlReason(job, this.#o.owner, this.#o.hop);
    if (reason !== undefined && !this.#fired) {
      this.#fired = true;
      this.#o.onControl(reason, job);
    }
  }
}
