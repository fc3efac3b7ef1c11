import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { JobEvent, JobEventType, JobStatus } from './job.js';

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

  constructor(clock: Clock, ids: () => string = randomUUID) {
    this.#clock = clock;
    this.#ids = ids;
  }

  make(type: JobEventType, subject: EventSubject, fields: EventFields): JobEvent {
    return {
      event_id: this.#ids(),
      type,
      job_id: subject.job_id,
      tenant_id: subject.tenant_id,
      pipeline: subject.pipeline,
      stage: fields.stage,
      status: fields.status,
      hop: fields.hop,
      time: new Date(this.#clock.now()).toISOString(),
      ...(subject.trace_id === undefined ? {} : { trace_id: subject.trace_id }),
      ...(fields.attempt === undefined ? {} : { attempt: fields.attempt }),
      ...(fields.data === undefined ? {} : { data: fields.data }),
    };
  }
}
