import type { JobQueue, OutgoingMessage } from '../../core/ports/index.js';

interface Held {
  readonly queue: string;
  readonly messages: readonly OutgoingMessage[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The outbox of one Lambda invocation. The records of a batch run in parallel and each sends at
 * most one message at a time (its forward, retry or dead letter); the barrier holds those sends
 * until every record has either finished or is waiting on its send, then releases them together,
 * so the whole batch's forwards leave in as few SendMessageBatch calls as there are target queues.
 * `maxWaitMs` bounds the hold, so one slow record cannot delay its siblings' forwards for long.
 */
export class SendBarrier implements Pick<JobQueue, 'send'> {
  readonly #queue: Pick<JobQueue, 'send'>;
  readonly #records: number;
  readonly #maxWaitMs: number;
  #settled = 0;
  #held: Held[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(queue: Pick<JobQueue, 'send'>, records: number, options: { readonly maxWaitMs?: number } = {}) {
    this.#queue = queue;
    this.#records = records;
    this.#maxWaitMs = options.maxWaitMs ?? 1_000;
  }

  send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#held.push({ queue, messages, resolve, reject });
      if (this.#timer === undefined) {
        this.#timer = setTimeout(() => this.#release(), this.#maxWaitMs);
        this.#timer.unref();
      }
      this.#check();
    });
  }

  /** A record is done (whatever its outcome); it will send nothing more. */
  settled(): void {
    this.#settled += 1;
    this.#check();
  }

  #check(): void {
    if (this.#held.length > 0 && this.#held.length + this.#settled >= this.#records) this.#release();
  }

  #release(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const held = this.#held;
    this.#held = [];
    const byQueue = new Map<string, Held[]>();
    for (const h of held) byQueue.set(h.queue, [...(byQueue.get(h.queue) ?? []), h]);
    for (const [queue, group] of byQueue) {
      // Sends of one queue leave together; SqsJobQueue packs them ten to a SendMessageBatch.
      const sends = group.map((h) => this.#queue.send(queue, h.messages).then(h.resolve, h.reject));
      void Promise.all(sends);
    }
  }
}
