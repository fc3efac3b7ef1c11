import { ConfigError } from './errors.js';
import type { JobEvent, JobEventType } from './job.js';
import type { Logger } from './logger.js';
import type { Backend, EventPublisher, ServiceEvent } from './ports.js';

/** What a listener can use: the deployment's ports. */
export interface ListenerContext {
  readonly backend: Backend;
  readonly logger: Logger;
}

/**
 * Code of a service that reacts to the lifecycle events of its pipelines — to keep its own records
 * in step with its jobs, notify someone, start another job. Delivery is at least once and not
 * ordered: a listener must be idempotent and must not let an older event undo a newer one.
 */
export interface Listener {
  readonly name: string;
  /** The pipelines whose job events it receives. */
  readonly pipelines: readonly string[];
  /** The event types it receives. @default every durable type */
  readonly types?: readonly JobEventType[];
  handle(event: JobEvent, ctx: ListenerContext): Promise<void>;
}

export function defineListener(listener: Listener): Listener {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(listener.name))
    problems.push('name: 1-40 lower-case letters, digits or -');
  if (listener.pipelines.length === 0) problems.push('pipelines: name at least one pipeline');
  if (typeof listener.handle !== 'function')
    problems.push('handle: must be a function (event, ctx) => Promise<void>');
  if (problems.length > 0) throw new ConfigError(`Listener '${listener.name}'`, problems);
  return Object.freeze({ ...listener });
}

export function listens(listener: Listener, event: JobEvent): boolean {
  return (
    event.type !== 'stage.progress' &&
    listener.pipelines.includes(event.pipeline) &&
    (listener.types === undefined || listener.types.includes(event.type))
  );
}

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
