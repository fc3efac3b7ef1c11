import type { Clock } from '../ports/clock.js';
import { nextId } from '../ports/ids.js';
import type { JobEvent, JobEventType, JobStatus } from '../ports/job.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The identity every event of a job repeats. */
export interface EventSubject {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly pipeline: string;
  readonly trace_id?: string;
}

export interface EventFields {
  readonly stage: string;
  readonly status: JobStatus;
  readonly hop: number;
  readonly attempt?: number;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Builds lifecycle events with ids and times from injected sources. */
export class EventFactory {
  readonly #clock: Clock;
  readonly #ids: () => string;

  constructor(clock: Clock, ids: () => string = nextId) {
    this.#clock = clock;
    this.#ids = ids;
  }

  make(type: JobEventType, subject: EventSubject, fields: EventFields): JobEvent {
    const event: Mutable<JobEvent> = {
      event_id: this.#ids(),
      type,
      job_id: subject.job_id,
      tenant_id: subject.tenant_id,
      pipeline: subject.pipeline,
      stage: fields.stage,
      status: fields.status,
      hop: fields.hop,
      time: new Date(this.#clock.now()).toISOString(),
    };
    if (subject.trace_id !== undefined) event.trace_id = subject.trace_id;
    if (fields.attempt !== undefined) event.attempt = fields.attempt;
    if (fields.data !== undefined) event.data = fields.data;
    return event;
  }
}
