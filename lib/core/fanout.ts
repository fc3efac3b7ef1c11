import { type JobEvent, jobTopic, tenantTopic } from './job.js';
import { type Logger, silentLogger } from './logger.js';
import type { JobStore, LiveChannel } from './ports.js';

/** The message a live client receives for each event. */
export interface LiveMessage {
  readonly type: 'event';
  readonly event: JobEvent;
}

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
    const [byJob, byTenant] = await Promise.all([
      this.#store.subscribers(jobTopic(event.job_id)),
      this.#store.subscribers(tenantTopic(event.tenant_id)),
    ]);
    // Subscriptions were checked against the tenant when made; check again so a mistake there
    // can never leak one tenant's events to another's sockets.
    const targets = new Set(
      [...byJob, ...byTenant].filter((s) => s.tenant_id === event.tenant_id).map((s) => s.connection_id),
    );
    const message: LiveMessage = { type: 'event', event };
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
