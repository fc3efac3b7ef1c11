import type { EventPublisher, ServiceEvent } from '../ports/event-publisher.js';
import type { JobEvent } from '../ports/job.js';
import { type Listener, type ListenerContext, listens } from '../sdk/listener.js';

/**
 * Runs every listener an event is for. A failure is thrown after all have run, so the transport
 * delivers the event again (listeners are idempotent) without skipping the others.
 */
export async function dispatchToListeners(
  listeners: readonly Listener[],
  event: JobEvent,
  ctx: ListenerContext,
): Promise<number> {
  const errors: unknown[] = [];
  let ran = 0;
  for (const listener of listeners) {
    if (!listens(listener, event)) continue;
    ran += 1;
    try {
      await listener.handle(event, ctx);
    } catch (error) {
      ctx.logger.error('listener failed', {
        error,
        listener: listener.name,
        type: event.type,
        job_id: event.job_id,
      });
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
  return ran;
}

/**
 * An in-process deployment's publisher: passes events on, then runs the listeners they are for,
 * without holding up the publisher (failures are retried a few times, then logged). In AWS an
 * EventBridge rule delivers the events to a listeners function instead.
 */
export class ListeningPublisher implements EventPublisher {
  readonly #inner: EventPublisher;
  readonly #listeners: readonly Listener[];
  readonly #ctx: ListenerContext;
  readonly #running = new Set<Promise<void>>();

  constructor(inner: EventPublisher, listeners: readonly Listener[], ctx: ListenerContext) {
    this.#inner = inner;
    this.#listeners = listeners;
    this.#ctx = ctx;
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    await this.#inner.publish(events);
    for (const event of events) {
      if (!this.#listeners.some((l) => listens(l, event))) continue;
      const run = this.#dispatch(event).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
  }

  publishService(events: readonly ServiceEvent[]): Promise<void> {
    return this.#inner.publishService(events);
  }

  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    await this.#inner.flush();
  }

  async #dispatch(event: JobEvent): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      try {
        await dispatchToListeners(this.#listeners, event, this.#ctx);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
    this.#ctx.logger.error('listeners kept failing; the event is dropped for them', {
      type: event.type,
      job_id: event.job_id,
    });
  }
}
