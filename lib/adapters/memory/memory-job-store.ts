import type { EventQuery, JobStore } from '../../core/ports/index.js';
import {
  type AttemptRecord,
  applyChange,
  type Connection,
  type DeadLetterRecord,
  type Hold,
  type JobChange,
  type JobEvent,
  JobExistsError,
  type JobQuery,
  type JobRecord,
  meetsExpectation,
  type Page,
  type Subscription,
  type Topic,
  type TransitionResult,
} from '../../core/ports/index.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

function page<T>(items: readonly T[], cursor: string | undefined, limit: number | undefined): Page<T> {
  const start = cursor === undefined ? 0 : Number.parseInt(cursor, 10) || 0;
  const size = Math.min(MAX_PAGE, Math.max(1, limit ?? DEFAULT_PAGE));
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length ? { items: slice, cursor: String(end) } : { items: slice };
}

/**
 * Job state in process memory, with the same conditional semantics as the DynamoDB store: a
 * transition applies its patch, events and attempt together, or nothing. Records are immutable
 * values (every transition stores a new object), so readers never see a half-applied change.
 *
 * The append-only logs (events, attempts) are kept serialized, one string per entry: they are
 * written on every hop and read rarely, and one string is far cheaper for the garbage collector to
 * carry than the object graph of an event.
 */
export class MemoryJobStore implements JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #events = new Map<string, string[]>();
  readonly #attempts = new Map<string, string[]>();
  readonly #holds = new Map<string, Hold>();
  readonly #deadLetters = new Map<string, DeadLetterRecord>();
  readonly #connections = new Map<string, Connection>();
  readonly #subscribers = new Map<Topic, Map<string, Subscription>>();
  readonly #topicsOf = new Map<string, Set<Topic>>();

  async createJob(job: JobRecord, events: readonly JobEvent[]): Promise<void> {
    if (this.#jobs.has(job.job_id)) throw new JobExistsError(job.job_id);
    this.#jobs.set(job.job_id, job);
    this.#events.set(
      job.job_id,
      events.map((e) => JSON.stringify(e)),
    );
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.#jobs.get(jobId);
  }

  async transition(jobId: string, change: JobChange): Promise<TransitionResult> {
    const job = this.#jobs.get(jobId);
    if (job === undefined || !meetsExpectation(job, change.expect)) return { ok: false, current: job };
    const next = applyChange(job, change);
    this.#jobs.set(jobId, next);
    if (change.events !== undefined && change.events.length > 0) {
      let log = this.#events.get(jobId);
      if (log === undefined) {
        log = [];
        this.#events.set(jobId, log);
      }
      for (const event of change.events) log.push(JSON.stringify(event));
    }
    if (change.attempt !== undefined) {
      const attempt = JSON.stringify(change.attempt);
      const attempts = this.#attempts.get(jobId);
      if (attempts === undefined) this.#attempts.set(jobId, [attempt]);
      else attempts.push(attempt);
    }
    return { ok: true };
  }

  async listJobs(query: JobQuery): Promise<Page<JobRecord>> {
    const matching = [...this.#jobs.values()]
      .filter(
        (job) =>
          job.tenant_id === query.tenant_id &&
          (query.status === undefined || job.status === query.status) &&
          (query.pipeline === undefined || job.pipeline === query.pipeline),
      )
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.job_id.localeCompare(b.job_id));
    return page(matching, query.cursor, query.limit);
  }

  async listEvents(jobId: string, query: EventQuery = {}): Promise<Page<JobEvent>> {
    const { items, cursor } = page(this.#events.get(jobId) ?? [], query.cursor, query.limit);
    const events = items.map((line): JobEvent => JSON.parse(line));
    return cursor === undefined ? { items: events } : { items: events, cursor };
  }

  async listAttempts(jobId: string): Promise<readonly AttemptRecord[]> {
    return (this.#attempts.get(jobId) ?? []).map((line): AttemptRecord => JSON.parse(line));
  }

  async putHold(hold: Hold): Promise<void> {
    this.#holds.set(hold.hold_id, hold);
  }

  async deleteHold(holdId: string): Promise<boolean> {
    return this.#holds.delete(holdId);
  }

  async listHolds(): Promise<readonly Hold[]> {
    return [...this.#holds.values()];
  }

  async recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    if (!this.#deadLetters.has(record.dead_letter_id)) this.#deadLetters.set(record.dead_letter_id, record);
  }

  async listDeadLetters(
    query: { readonly job_id?: string; readonly limit?: number } = {},
  ): Promise<readonly DeadLetterRecord[]> {
    const all = [...this.#deadLetters.values()].filter(
      (r) => query.job_id === undefined || r.job_id === query.job_id,
    );
    return all.slice(0, query.limit ?? all.length);
  }

  async putConnection(connection: Connection): Promise<void> {
    this.#connections.set(connection.connection_id, connection);
  }

  async getConnection(connectionId: string): Promise<Connection | undefined> {
    return this.#connections.get(connectionId);
  }

  async deleteConnection(connectionId: string): Promise<void> {
    this.#connections.delete(connectionId);
    for (const topic of this.#topicsOf.get(connectionId) ?? [])
      this.#subscribers.get(topic)?.delete(connectionId);
    this.#topicsOf.delete(connectionId);
  }

  async subscribe(subscription: Subscription): Promise<void> {
    const { connection_id: connectionId, topic } = subscription;
    let subs = this.#subscribers.get(topic);
    if (subs === undefined) {
      subs = new Map();
      this.#subscribers.set(topic, subs);
    }
    subs.set(connectionId, subscription);
    let topics = this.#topicsOf.get(connectionId);
    if (topics === undefined) {
      topics = new Set();
      this.#topicsOf.set(connectionId, topics);
    }
    topics.add(topic);
  }

  async unsubscribe(connectionId: string, topic: Topic): Promise<void> {
    this.#subscribers.get(topic)?.delete(connectionId);
    this.#topicsOf.get(connectionId)?.delete(topic);
  }

  async subscribers(topic: Topic): Promise<readonly Subscription[]> {
    return [...(this.#subscribers.get(topic)?.values() ?? [])];
  }
}
