import type { Clock } from './clock.js';
import type { JobRecord } from './job.js';
import type { Logger } from './logger.js';
import type { JobQueue, JobStore } from './ports.js';
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
 * Heartbeat of a running stage. Every `heartbeatMs` it reads the job's control flags (abort, pause)
 * and, once half the lease has run out, renews both the lease in the store and the message's
 * visibility in the queue — keeping the lease no longer than the visibility, so that a crashed
 * worker's message re-appears only when its lease has expired and the next delivery may claim it.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  #expiresAt: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #fired = false;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
    this.#expiresAt = options.leaseExpiresAt;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#tick ??= this.#beat().finally(() => {
        this.#tick = undefined;
      });
    }, this.#o.heartbeatMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
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
