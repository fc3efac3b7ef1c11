import { randomUUID } from 'node:crypto';
import {
  type Clock,
  ConfigError,
  type JobQueue,
  MAX_BATCH,
  MAX_DELAY_MS,
  type OutgoingMessage,
  type QueueDepth,
  QueueNotFoundError,
  type QueueSpec,
  ReceiptHandleError,
  type ReceivedMessage,
  type ReceiveOptions,
  systemClock,
} from '../../core/ports/index.js';
import { Deque, type HeapItem, IndexedMinHeap } from './min-heap.js';

/** SQS's limit on one message body. */
const MAX_BODY_BYTES = 256 * 1024;

/** A message; while delayed or in flight it sits in the queue's heap keyed by when it is due. */
interface StoredMessage extends HeapItem {
  readonly id: string;
  readonly body: string;
  /** The message group (tenant); '' for none. */
  readonly group: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: number;
  receiveCount: number;
  receiptHandle: string | undefined;
  deleted: boolean;
}

function stored(
  id: string,
  body: string,
  group: string,
  attributes: Readonly<Record<string, string>>,
  sentAt: number,
  receiveCount = 0,
): StoredMessage {
  return {
    id,
    body,
    group,
    attributes,
    sentAt,
    receiveCount,
    receiptHandle: undefined,
    deleted: false,
    heapKey: 0,
    heapIndex: -1,
  };
}

/**
 * The visible messages, served fairly across message groups: each group's messages oldest first,
 * the groups in turn (a group with one message waits behind at most one message of every other
 * group, however long their backlogs).
 */
class FairReady {
  readonly #groups = new Map<string, Deque<StoredMessage>>();
  readonly #turns = new Deque<string>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(message: StoredMessage): void {
    let group = this.#groups.get(message.group);
    if (group === undefined) {
      group = new Deque();
      this.#groups.set(message.group, group);
      this.#turns.push(message.group);
    }
    group.push(message);
    this.#size += 1;
  }

  shift(): StoredMessage | undefined {
    for (let name = this.#turns.shift(); name !== undefined; name = this.#turns.shift()) {
      const group = this.#groups.get(name);
      const message = group?.shift();
      if (group === undefined || message === undefined) continue;
      this.#size -= 1;
      if (group.size > 0) this.#turns.push(name);
      else this.#groups.delete(name);
      return message;
    }
    return undefined;
  }

  /** Every message (for inspection, not for the hot path). */
  values(): StoredMessage[] {
    return [...this.#groups.values()].flatMap((g) => g.values());
  }
}

interface QueueState {
  spec: QueueSpec;
  /** Visible now: fair across groups, oldest first within one. */
  readonly ready: FairReady;
  /** Delayed or in flight, by the time they become visible. */
  readonly timed: IndexedMinHeap<StoredMessage>;
  readonly inFlight: Map<string, StoredMessage>;
  readonly waiters: Set<() => void>;
  count: number;
}

/**
 * In-process queues with SQS's semantics: visibility timeout, receive count, redrive to a
 * dead-letter queue after maxReceiveCount, per-message delay (≤ 15 min), batches of ≤ 10 and
 * long polling. Ordering is FIFO within a message group and round-robin across groups, as with a
 * standard SQS queue used as a fair queue.
 */
export class MemoryJobQueue implements JobQueue {
  readonly #queues = new Map<string, QueueState>();
  readonly #clock: Clock;

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async ensureQueue(spec: QueueSpec): Promise<void> {
    if (spec.deadLetterQueue !== undefined && !this.#queues.has(spec.deadLetterQueue)) {
      throw new ConfigError(`Queue '${spec.name}'`, [
        `its dead-letter queue '${spec.deadLetterQueue}' does not exist; create it first`,
      ]);
    }
    const existing = this.#queues.get(spec.name);
    if (existing !== undefined) {
      existing.spec = spec;
      return;
    }
    this.#queues.set(spec.name, {
      spec,
      ready: new FairReady(),
      timed: new IndexedMinHeap(),
      inFlight: new Map(),
      waiters: new Set(),
      count: 0,
    });
  }

  async send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const state = this.#state(queue);
    if (messages.length > MAX_BATCH) {
      throw new ConfigError('send', [`at most ${MAX_BATCH} messages per batch (got ${messages.length})`]);
    }
    const now = this.#clock.now();
    for (const m of messages) {
      const delay = m.delayMs ?? 0;
      if (delay < 0 || delay > MAX_DELAY_MS) {
        throw new ConfigError('send', [`delayMs must be within 0..${MAX_DELAY_MS} (got ${delay})`]);
      }
      if (Buffer.byteLength(m.body) > MAX_BODY_BYTES) {
        throw new ConfigError('send', [`a message body may be at most ${MAX_BODY_BYTES} bytes`]);
      }
      const message = stored(randomUUID(), m.body, m.group ?? '', { ...m.attributes }, now);
      state.count += 1;
      if (delay > 0) state.timed.set(message, now + delay);
      else state.ready.push(message);
    }
    this.#notify(state);
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const state = this.#state(queue);
    const max = Math.min(MAX_BATCH, Math.max(1, options.maxMessages));
    const deadline = this.#clock.now() + Math.max(0, Math.min(options.waitTimeMs, 20_000));
    for (;;) {
      const got = this.#take(state, max, options.visibilityTimeoutMs ?? state.spec.visibilityTimeoutMs);
      const remaining = deadline - this.#clock.now();
      if (got.length > 0 || remaining <= 0 || options.signal?.aborted) return got;
      await this.#wait(state, remaining, options.signal);
    }
  }

  async changeVisibility(queue: string, receiptHandle: string, timeoutMs: number): Promise<void> {
    const state = this.#state(queue);
    const message = state.inFlight.get(receiptHandle);
    if (message === undefined) throw new ReceiptHandleError(queue);
    this.#schedule(state, message, this.#clock.now() + Math.max(0, timeoutMs));
    if (timeoutMs <= 0) this.#notify(state);
  }

  async delete(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const state = this.#state(queue);
    for (const handle of receiptHandles) {
      const message = state.inFlight.get(handle);
      // A stale handle (the message was received again since) deletes nothing, as in SQS.
      if (message === undefined) continue;
      state.inFlight.delete(handle);
      state.timed.remove(message);
      message.deleted = true;
      state.count -= 1;
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    const state = this.#state(queue);
    this.#promoteDue(state, this.#clock.now());
    const inFlight = state.inFlight.size;
    const visible = state.ready.size;
    // Delayed and in-flight messages sit in the timed heap, visible ones in the ready deque.
    let oldest = Number.POSITIVE_INFINITY;
    for (const m of [...state.ready.values(), ...state.timed.values()]) {
      if (!m.deleted && m.sentAt < oldest) oldest = m.sentAt;
    }
    return {
      visible,
      inFlight,
      delayed: Math.max(0, state.count - visible - inFlight),
      ...(Number.isFinite(oldest) ? { oldestAgeMs: Math.max(0, this.#clock.now() - oldest) } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------

  #state(queue: string): QueueState {
    const state = this.#queues.get(queue);
    if (state === undefined) throw new QueueNotFoundError(queue);
    return state;
  }

  #schedule(state: QueueState, message: StoredMessage, at: number): void {
    state.timed.set(message, at);
  }

  /** Moves messages whose delay or visibility timeout has run out to the ready list. */
  #promoteDue(state: QueueState, now: number): void {
    for (let m = state.timed.peek(); m !== undefined && m.heapKey <= now; m = state.timed.peek()) {
      state.timed.pop();
      if (m.receiptHandle !== undefined) {
        state.inFlight.delete(m.receiptHandle);
        m.receiptHandle = undefined;
      }
      state.ready.push(m);
    }
  }

  #take(state: QueueState, max: number, visibilityMs: number): ReceivedMessage[] {
    const now = this.#clock.now();
    this.#promoteDue(state, now);
    const out: ReceivedMessage[] = [];
    while (out.length < max) {
      const m = state.ready.shift();
      if (m === undefined) break;
      if (m.deleted) continue;
      const { maxReceiveCount, deadLetterQueue } = state.spec;
      if (
        maxReceiveCount !== undefined &&
        deadLetterQueue !== undefined &&
        m.receiveCount >= maxReceiveCount
      ) {
        this.#redrive(state, m, deadLetterQueue);
        continue;
      }
      m.receiveCount += 1;
      m.receiptHandle = randomUUID();
      state.inFlight.set(m.receiptHandle, m);
      this.#schedule(state, m, now + visibilityMs);
      out.push({
        messageId: m.id,
        receiptHandle: m.receiptHandle,
        body: m.body,
        receiveCount: m.receiveCount,
        attributes: m.attributes,
        sentAt: m.sentAt,
      });
    }
    return out;
  }

  /** SQS moves a message to the DLQ when a receive would exceed maxReceiveCount. */
  #redrive(state: QueueState, m: StoredMessage, dlqName: string): void {
    m.deleted = true;
    state.count -= 1;
    const dlq = this.#state(dlqName);
    dlq.count += 1;
    dlq.ready.push(stored(m.id, m.body, m.group, m.attributes, m.sentAt));
    this.#notify(dlq);
  }

  #notify(state: QueueState): void {
    for (const wake of state.waiters) wake();
  }

  #wait(state: QueueState, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const next = state.timed.peek();
      // Wake when the wait ends, when a message is sent, or when a delayed one becomes due.
      const dueIn = next === undefined ? ms : Math.max(1, Math.min(ms, next.heapKey - this.#clock.now()));
      const done = (): void => {
        clearTimeout(timer);
        state.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, dueIn);
      state.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
