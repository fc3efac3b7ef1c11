import type { Clock } from '../ports/clock.js';
import type { EventPublisher } from '../ports/event-publisher.js';
import type { JobEvent, JobEventType } from '../ports/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { Logger } from '../ports/logger.js';

/** Whether a pipeline's stage-level events go to the bus always, or only while someone watches. */
export type StageEvents = 'always' | 'watched';

/** Job-level events: few per job, and what other systems (listeners, archives, rules) act on. */
export const JOB_LEVEL_EVENTS: ReadonlySet<JobEventType> = new Set([
  'job.created',
  'job.done',
  'job.failed',
  'job.aborted',
  'job.paused',
  'job.resumed',
  'job.held',
  'job.replayed',
]);

export interface EventPolicyOptions {
  readonly store: Pick<JobStore, 'watched'>;
  readonly clock: Clock;
  /** A pipeline's stage-level events. @default 'watched' for every pipeline */
  readonly stageEvents?: (pipeline: string) => StageEvents;
  /** How long a tenant's "someone is watching" answer is reused. @default 5000 */
  readonly watchTtlMs?: number;
}

/**
 * What goes to the event bus, where each event costs money and a fan-out invocation. Every durable
 * event is stored (the job record's history), so the bus carries what someone acts on:
 * - job-level events always;
 * - stage-level events (started, completed, failed) when the pipeline asks for them always (a
 *   listener that follows them, an archive) or while a client of the tenant is subscribed to its
 *   live stream or one of its jobs;
 * - progress only while someone watches, at most once per interval per job.
 * A client that subscribes late reads what it missed from the stored event log.
 */
export class EventPolicy {
  readonly #o: EventPolicyOptions;
  readonly #watched = new Map<string, { readonly value: boolean; readonly at: number }>();
  readonly #pending = new Map<string, Promise<boolean>>();

  constructor(options: EventPolicyOptions) {
    this.#o = options;
  }

  /** Whether a client of the tenant is watching (cached for the TTL). */
  async watched(tenantId: string): Promise<boolean> {
    const now = this.#o.clock.now();
    const cached = this.#watched.get(tenantId);
    if (cached !== undefined && now - cached.at < (this.#o.watchTtlMs ?? 5_000)) return cached.value;
    let pending = this.#pending.get(tenantId);
    if (pending === undefined) {
      pending = this.#o.store
        .watched(tenantId)
        .then((value) => {
          this.#watched.set(tenantId, { value, at: this.#o.clock.now() });
          return value;
        })
        .finally(() => this.#pending.delete(tenantId));
      this.#pending.set(tenantId, pending);
    }
    return pending;
  }

  /** Forgets the cached answers (a subscription changed in this process). */
  invalidate(tenantId?: string): void {
    if (tenantId === undefined) this.#watched.clear();
    else this.#watched.delete(tenantId);
  }

  /**
   * Publishes what the policy lets through. Never rejects: resolves true once the bus has taken the
   * events (or none had to go), false when publishing failed (logged) — a runner then keeps its
   * message, so the redelivery publishes the events again (they keep their ids; consumers dedupe).
   */
  publish(
    publisher: EventPublisher,
    job: { readonly tenant_id: string; readonly pipeline: string },
    events: readonly JobEvent[],
    log: Logger,
  ): Promise<boolean> {
    if (events.length === 0) return Promise.resolve(true);
    return this.#select(job, events)
      .then((selected) => (selected.length === 0 ? undefined : publisher.publish(selected)))
      .then(
        () => true,
        (error: unknown) => {
          log.warn('publishing events failed', { error, types: events.map((e) => e.type) });
          return false;
        },
      );
  }

  async #select(
    job: { readonly tenant_id: string; readonly pipeline: string },
    events: readonly JobEvent[],
  ): Promise<readonly JobEvent[]> {
    const always = (this.#o.stageEvents?.(job.pipeline) ?? 'watched') === 'always';
    const needsWatch = events.some(
      (e) => !JOB_LEVEL_EVENTS.has(e.type) && (e.type === 'stage.progress' || !always),
    );
    const watched = needsWatch ? await this.watched(job.tenant_id) : false;
    return events.filter(
      (e) => JOB_LEVEL_EVENTS.has(e.type) || watched || (always && e.type !== 'stage.progress'),
    );
  }
}
