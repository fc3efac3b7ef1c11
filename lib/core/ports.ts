import type { Readable } from 'node:stream';
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

// The five ports the core talks to. Adapters in lib/adapters/{memory,aws} implement them; the
// contract suite in test/contract proves an adapter set interchangeable.

// ---------------------------------------------------------------------------------------------
// JobQueue: SQS semantics (visibility timeout, receive count, redrive to a DLQ, delay, batches).
// ---------------------------------------------------------------------------------------------

/** The longest delay a single send may carry (SQS DelaySeconds maximum). */
export const MAX_DELAY_MS = 15 * 60 * 1000;
/** The most messages one receive or one send batch may carry. */
export const MAX_BATCH = 10;

export interface QueueSpec {
  readonly name: string;
  readonly visibilityTimeoutMs: number;
  /** Receives after which a message moves to `deadLetterQueue`. */
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: string;
  readonly retentionMs?: number;
}

export interface OutgoingMessage {
  readonly body: string;
  /** At most {@link MAX_DELAY_MS}. */
  readonly delayMs?: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How many times this message has been received, this time included. */
  readonly receiveCount: number;
  readonly attributes: Readonly<Record<string, string>>;
  /** Epoch ms when the message was first sent. */
  readonly sentAt: number;
}

export interface ReceiveOptions {
  /** 1..10. */
  readonly maxMessages: number;
  /** Long-poll wait, 0..20000 ms. */
  readonly waitTimeMs: number;
  readonly visibilityTimeoutMs?: number;
  /** Ends a long poll early (returns what has arrived, usually nothing). */
  readonly signal?: AbortSignal;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export interface JobQueue {
  /** Creates the queue if absent (idempotent). Dead-letter queues must be ensured first. */
  ensureQueue(spec: QueueSpec): Promise<void>;
  send(queue: string, messages: readonly OutgoingMessage[]): Promise<void>;
  receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]>;
  changeVisibility(queue: string, receiptHandle: string, timeoutMs: number): Promise<void>;
  delete(queue: string, receiptHandles: readonly string[]): Promise<void>;
  depth(queue: string): Promise<QueueDepth>;
}

// ---------------------------------------------------------------------------------------------
// JobStore: job state with conditional transitions, the event log, attempts, holds, dead letters
// and live connections.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// EventPublisher: lifecycle and progress events to subscribers (WebSocket fan-out, archives...).
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// RecordStore: a service's own small records (analyses, results summaries), versioned, with
// conditional writes. Large data belongs in the BlobStore.
// ---------------------------------------------------------------------------------------------

export interface StoredRecord {
  readonly id: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** 1 for a new record; each put increments it. */
  readonly version: number;
  readonly updated_at: string;
}

/** `absent`: the record must not exist; a number: it must be at that version. */
export type RecordCondition = 'absent' | { readonly version: number };

export interface RecordStore {
  getRecord(collection: string, id: string): Promise<StoredRecord | undefined>;
  /** Writes the record; {@link RecordConflictError} when the condition does not hold. */
  putRecord(
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord>;
  /** The collection's records, by id. */
  listRecords(
    collection: string,
    query?: { readonly limit?: number; readonly cursor?: string },
  ): Promise<Page<StoredRecord>>;
  deleteRecord(collection: string, id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// BlobStore: large inputs and outputs; the contract carries their keys.
// ---------------------------------------------------------------------------------------------

export type BlobBody = Uint8Array | string | Readable;

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string;
}

export interface PresignOptions {
  readonly method: 'GET' | 'PUT';
  readonly expiresInS?: number;
  readonly contentType?: string;
}

export interface BlobStore {
  put(key: string, body: BlobBody, options?: { readonly contentType?: string }): Promise<BlobInfo>;
  /** The whole object; {@link NotFoundError} when absent. */
  get(key: string): Promise<Uint8Array>;
  /** The object as a stream, for large objects; {@link NotFoundError} when absent. */
  getStream(key: string): Promise<Readable>;
  head(key: string): Promise<BlobInfo | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<readonly BlobInfo[]>;
  /** A URL a client can GET or PUT directly. */
  presign(key: string, options: PresignOptions): Promise<string>;
}

// ---------------------------------------------------------------------------------------------
// LiveChannel: push to one connected client; tells the caller when the connection is gone.
// ---------------------------------------------------------------------------------------------

export type PostResult = 'sent' | 'gone';

export interface LiveChannel {
  post(connectionId: string, data: unknown): Promise<PostResult>;
}

/** The set of adapters a runtime runs on. */
export interface Backend {
  readonly queue: JobQueue;
  readonly store: JobStore;
  readonly events: EventPublisher;
  readonly blobs: BlobStore;
  readonly records: RecordStore;
  readonly live?: LiveChannel;
}
