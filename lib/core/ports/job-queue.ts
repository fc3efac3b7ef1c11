/** JobQueue: SQS semantics (visibility timeout, receive count, redrive to a DLQ, delay, batches). */

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
  /**
   * The message's group — the job's tenant. A queue serves its groups in turn, so one tenant's
   * backlog does not hold another's messages back (SQS fair queues: `MessageGroupId` on a
   * standard queue; the memory queue round-robins its groups).
   */
  readonly group?: string;
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
  /**
   * Age of the oldest message in the queue (visible, in flight or delayed), when the backend can
   * tell cheaply: the memory queue can; SQS has no such attribute (CloudWatch's
   * ApproximateAgeOfOldestMessage is a metric, a minute late), so the SQS adapter leaves it out.
   */
  readonly oldestAgeMs?: number;
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
