import type { JobEvent } from './job.js';

/** EventPublisher: lifecycle and progress events to subscribers (WebSocket fan-out, archives...). */

export interface EventPublisher {
  publish(events: readonly JobEvent[]): Promise<void>;
  /** Events of a service built on Stagecoach (an analysis changed status, ...). */
  publishService(events: readonly ServiceEvent[]): Promise<void>;
  /** Sends whatever is buffered; shells call it before they return or stop. */
  flush(): Promise<void>;
}

/**
 * An event a service publishes about its own records. It reaches the bus like lifecycle events,
 * and WebSocket clients subscribed to its tenant's stream (and to `job_id`, when set).
 */
export interface ServiceEvent {
  /** Namespaced, e.g. `oma.analysis.status`. */
  readonly type: string;
  readonly tenant_id: string;
  readonly job_id?: string;
  readonly time: string;
  readonly detail: Readonly<Record<string, unknown>>;
}
