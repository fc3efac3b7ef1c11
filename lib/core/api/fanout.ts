import type { ServiceEvent } from '../ports/event-publisher.js';
import { type JobEvent, jobTopic, tenantTopic } from '../ports/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { LiveChannel } from '../ports/live-channel.js';
import { type Logger, silentLogger } from '../ports/logger.js';

/** The message a live client receives for each event: a job's lifecycle, or a service's. */
export type LiveMessage =
  | { readonly type: 'event'; readonly event: JobEvent }
  | { readonly type: 'service'; readonly event: ServiceEvent };

/**
 * Pushes each lifecycle or progress event to the connections subscribed to its job or to its
 * tenant's stream. Subscriptions are tenant-scoped when they are made, so an event only reaches its
 * own tenant's sockets. A connection the channel reports gone is removed.
 */
export class LiveFanout {
  readonly #store: JobStore;
  readonly #live: LiveChannel;
  readonly #log: Logger;

  constructor(store: JobStore, live: LiveChannel, logger: Logger = silentLogger) {
    this.#store = store;
    this.#live = live;
    this.#log = logger.child({ component: 'fanout' });
  }

  /** Returns how many connections the event reached. */
  async deliver(event: JobEvent): Promise<number> {
    return this.#send(event.tenant_id, event.job_id, { type: 'event', event });
  }

  /** A service event reaches its tenant's stream, and its job's subscribers when it names one. */
  async deliverService(event: ServiceEvent): Promise<number> {
    return this.#send(event.tenant_id, event.job_id, { type: 'service', event });
  }

  async #send(tenantId: string, jobId: string | undefined, message: LiveMessage): Promise<number> {
    const [byJob, byTenant] = await Promise.all([
      jobId === undefined ? Promise.resolve([]) : this.#store.subscribers(jobTopic(tenantId, jobId)),
      this.#store.subscribers(tenantTopic(tenantId)),
    ]);
    // Subscriptions were checked against the tenant when made; check again so a mistake there
    // can never leak one tenant's events to another's sockets.
    const targets = new Set(
      [...byJob, ...byTenant].filter((s) => s.tenant_id === tenantId).map((s) => s.connection_id),
    );
    let sent = 0;
    await Promise.all(
      [...targets].map(async (connectionId) => {
        try {
          const result = await this.#live.post(connectionId, message);
          if (result === 'gone') await this.#store.deleteConnection(connectionId);
          else sent += 1;
        } catch (error) {
          this.#log.warn('live post failed', { error, connection_id: connectionId });
        }
      }),
    );
    return sent;
  }
}
