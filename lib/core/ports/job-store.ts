import type {
  AttemptRecord,
  Connection,
  DeadLetterRecord,
  Hold,
  JobChange,
  JobEvent,
  JobQuery,
  JobRecord,
  Page,
  Subscription,
  Topic,
  TransitionResult,
} from './job.js';

/**
 * JobStore: job state with conditional transitions, the event log, attempts, holds, dead letters
 * and live connections.
 */

export interface EventQuery {
  /** Only events after this cursor (exclusive). */
  readonly cursor?: string;
  readonly limit?: number;
}

export interface JobStore {
  /** Stores a new job and its first events atomically; {@link JobExistsError} when the id is taken. */
  createJob(job: JobRecord, events: readonly JobEvent[]): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /**
   * Applies `change` atomically if its expectation holds: the patch, the events and the attempt are
   * written together or not at all. On a failed expectation returns the current job, unchanged.
   */
  transition(jobId: string, change: JobChange): Promise<TransitionResult>;
  listJobs(query: JobQuery): Promise<Page<JobRecord>>;
  listEvents(jobId: string, query?: EventQuery): Promise<Page<JobEvent>>;
  listAttempts(jobId: string): Promise<readonly AttemptRecord[]>;

  putHold(hold: Hold): Promise<void>;
  deleteHold(holdId: string): Promise<boolean>;
  listHolds(): Promise<readonly Hold[]>;

  /** Idempotent by `dead_letter_id`. */
  recordDeadLetter(record: DeadLetterRecord): Promise<void>;
  listDeadLetters(query?: {
    readonly job_id?: string;
    readonly limit?: number;
  }): Promise<readonly DeadLetterRecord[]>;

  putConnection(connection: Connection): Promise<void>;
  getConnection(connectionId: string): Promise<Connection | undefined>;
  /** Removes the connection and all its subscriptions. */
  deleteConnection(connectionId: string): Promise<void>;
  subscribe(subscription: Subscription): Promise<void>;
  unsubscribe(connectionId: string, topic: Topic): Promise<void>;
  subscribers(topic: Topic): Promise<readonly Subscription[]>;
}
