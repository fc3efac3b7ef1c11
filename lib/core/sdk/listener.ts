import type { Backend } from '../ports/backend.js';
import { ConfigError } from '../ports/errors.js';
import type { JobEvent, JobEventType } from '../ports/job.js';
import type { Logger } from '../ports/logger.js';

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
