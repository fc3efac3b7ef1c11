import type { EventPublisher, JobEvent, ServiceEvent } from '../../core/ports/index.js';
import { type Logger, silentLogger } from '../../core/ports/index.js';

export type EventHandler = (event: JobEvent) => void | Promise<void>;
export type ServiceEventHandler = (event: ServiceEvent) => void | Promise<void>;

/**
 * In-process event bus. Subscribers receive each event asynchronously, so a slow subscriber (a
 * WebSocket fan-out) never holds up the stage that published; `flush()` waits for deliveries.
 */
export class MemoryEventBus implements EventPublisher {
  readonly #handlers = new Set<{ handler: EventHandler; filter: (event: JobEvent) => boolean }>();
  readonly #serviceHandlers = new Set<ServiceEventHandler>();
  readonly #pending = new Set<Promise<unknown>>();
  #scheduled = 0;
  #idle: (() => void)[] = [];
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

  /** Receives service events (see {@link ServiceEvent}); returns a function that unsubscribes. */
  subscribeService(handler: ServiceEventHandler): () => void {
    this.#serviceHandlers.add(handler);
    return () => {
      this.#serviceHandlers.delete(handler);
    };
  }

  async publishService(events: readonly ServiceEvent[]): Promise<void> {
    if (this.#serviceHandlers.size === 0 || events.length === 0) return;
    this.#scheduled += 1;
    queueMicrotask(() => {
      for (const event of events) {
        for (const handler of this.#serviceHandlers) {
          this.#track(() => handler(event), event.type);
        }
      }
      this.#scheduled -= 1;
      this.#settle();
    });
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    if (this.#handlers.size === 0 || events.length === 0) return;
    this.#scheduled += 1;
    queueMicrotask(() => {
      for (const event of events) {
        for (const { handler, filter } of this.#handlers) this.#deliver(handler, filter, event);
      }
      this.#scheduled -= 1;
      this.#settle();
    });
  }

  async flush(): Promise<void> {
    while (this.#scheduled > 0 || this.#pending.size > 0) {
      if (this.#pending.size > 0) await Promise.all([...this.#pending]);
      else await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  #deliver(handler: EventHandler, filter: (event: JobEvent) => boolean, event: JobEvent): void {
    if (filter(event)) this.#track(() => handler(event), event.type);
  }

  #track(run: () => void | Promise<void>, type: string): void {
    try {
      const result = run();
      if (result instanceof Promise) {
        const tracked: Promise<void> = result.then(
          (): void => this.#done(tracked),
          (error: unknown): void => {
            this.#log.warn('event subscriber failed', { error, type });
            this.#done(tracked);
          },
        );
        this.#pending.add(tracked);
      }
    } catch (error) {
      this.#log.warn('event subscriber failed', { error, type });
    }
  }

  #done(delivery: Promise<unknown>): void {
    this.#pending.delete(delivery);
    this.#settle();
  }

  #settle(): void {
    if (this.#scheduled > 0 || this.#pending.size > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
