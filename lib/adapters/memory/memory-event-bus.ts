import type { JobEvent } from '../../core/job.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { EventPublisher } from '../../core/ports.js';

export type EventHandler = (event: JobEvent) => void | Promise<void>;

/**
 * In-process event bus. Subscribers receive each event asynchronously, so a slow subscriber (a
 * WebSocket fan-out) never holds up the stage that published; `flush()` waits for deliveries.
 */
export class MemoryEventBus implements EventPublisher {
  readonly #handlers = new Set<{ handler: EventHandler; filter: (event: JobEvent) => boolean }>();
  readonly #pending = new Set<Promise<void>>();
  readonly #log: Logger;

  constructor(options: { readonly logger?: Logger } = {}) {
    this.#log = options.logger ?? silentLogger;
  }

  /** Returns a function that removes the subscription. */
  subscribe(handler: EventHandler, filter: (event: JobEvent) => boolean = () => true): () => void {
    const entry = { handler, filter };
    this.#handlers.add(entry);
    return () => {
      this.#handlers.delete(entry);
    };
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    if (this.#handlers.size === 0) return;
    for (const event of events) {
      for (const { handler, filter } of this.#handlers) {
        if (!filter(event)) continue;
        const delivery = Promise.resolve()
          .then(() => handler(event))
          .catch((error: unknown) => this.#log.warn('event subscriber failed', { error, type: event.type }))
          .finally(() => this.#pending.delete(delivery));
        this.#pending.add(delivery);
      }
    }
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
