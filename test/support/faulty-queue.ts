import type {
  JobQueue,
  OutgoingMessage,
  QueueDepth,
  QueueSpec,
  ReceivedMessage,
  ReceiveOptions,
} from '../../lib/core/ports/index.js';

/**
 * Wraps a JobQueue and fails chosen sends, to stand in for a crash between a state write and the
 * forward that should follow it.
 */
export class FaultyQueue implements JobQueue {
  readonly #inner: JobQueue;
  readonly sent: { queue: string; body: string }[] = [];
  #failNextSendTo = new Map<string, number>();

  constructor(inner: JobQueue) {
    this.#inner = inner;
  }

  failSends(queue: string, times = 1): void {
    this.#failNextSendTo.set(queue, times);
  }

  ensureQueue(spec: QueueSpec): Promise<void> {
    return this.#inner.ensureQueue(spec);
  }

  async send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const left = this.#failNextSendTo.get(queue) ?? 0;
    if (left > 0) {
      this.#failNextSendTo.set(queue, left - 1);
      throw new Error(`injected failure: send to ${queue} lost`);
    }
    for (const m of messages) this.sent.push({ queue, body: m.body });
    return this.#inner.send(queue, messages);
  }

  receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    return this.#inner.receive(queue, options);
  }

  changeVisibility(queue: string, receiptHandle: string, timeoutMs: number): Promise<void> {
    return this.#inner.changeVisibility(queue, receiptHandle, timeoutMs);
  }

  delete(queue: string, receiptHandles: readonly string[]): Promise<void> {
    return this.#inner.delete(queue, receiptHandles);
  }

  depth(queue: string): Promise<QueueDepth> {
    return this.#inner.depth(queue);
  }
}
