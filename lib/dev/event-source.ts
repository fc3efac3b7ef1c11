import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { JobQueue, Logger, ReceivedMessage } from '../core/ports/index.js';
import { sleep } from '../core/ports/index.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface SqsEventSourceOptions {
  readonly name: string;
  readonly queue: JobQueue;
  /**
   * Queues to poll, in this order: the first fills the batch first. A Lambda stage's source has one
   * (its lane: AWS gives each lane queue its own event source); the dead-letter consumer has many.
   */
  readonly queues: readonly string[];
  readonly handler: SqsHandler;
  /** Records per invocation (Lambda's BatchSize). @default 10 */
  readonly batchSize?: number;
  /** Invocations at once (the event source's MaximumConcurrency). @default 2 */
  readonly maxConcurrency?: number;
  /** The function timeout, seen by the handler as its remaining time. */
  readonly functionTimeoutMs: number;
  readonly region?: string;
  readonly waitTimeMs?: number;
  /**
   * Interrupts the handler's running work (its stages give their messages back un-retried): what
   * `stop()` calls once in-flight invocations have had `stopGraceMs`, as Lambda's runtime would be
   * frozen and its messages come back.
   */
  readonly interrupt?: () => void;
  /** How long `stop()` waits for in-flight invocations before interrupting them. @default 5000 */
  readonly stopGraceMs?: number;
  readonly logger: Logger;
}

/** The SQS record Lambda would deliver for a received message. */
export function recordOf(message: ReceivedMessage, queue: string, region: string): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([key, value]) => [
        key,
        { stringValue: value, dataType: 'String', stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:000000000000:${queue}`,
    awsRegion: region,
  };
}

export function invocationContext(name: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/local/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Plays Lambda's SQS event source mapping: long-polls the queues, invokes the handler with a batch
 * of up to `batchSize` records, at most `maxConcurrency` invocations at once, then deletes the
 * records the handler did not report as failures. A handler that throws leaves the whole batch to
 * come back after its visibility timeout, as in AWS.
 */
export class SqsEventSource {
  readonly #o: SqsEventSourceOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #polling = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: SqsEventSourceOptions) {
    this.#o = options;
  }

  start(): void {
    this.#polling = new AbortController();
    this.#loop = this.#run(this.#polling.signal);
  }

  async stop(): Promise<void> {
    this.#polling.abort();
    await this.#loop;
    const grace = new AbortController();
    const drained = await Promise.race([
      Promise.all([...this.#inFlight]).then(() => true),
      sleep(this.#o.stopGraceMs ?? 5_000, grace.signal).then(
        () => false,
        () => true,
      ),
    ]);
    grace.abort();
    if (!drained && this.#o.interrupt !== undefined) {
      this.#o.logger.warn('stopping: interrupting in-flight invocations', {
        source: this.#o.name,
        in_flight: this.#inFlight.size,
      });
      this.#o.interrupt();
    }
    await Promise.all([...this.#inFlight]);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const max = this.#o.maxConcurrency ?? 2;
    while (!signal.aborted) {
      if (this.#inFlight.size >= max) {
        await this.#slotOrStop(signal);
        continue;
      }
      const batch = await this.#receive(signal);
      if (batch.length === 0) continue;
      const invocation = this.#invoke(batch).finally(() => this.#inFlight.delete(invocation));
      this.#inFlight.add(invocation);
    }
  }

  /**
   * Waits for an invocation to end or for `stop()`, whichever comes first. Waiting for a slot alone
   * would keep a source whose every slot is taken (a lane with a small maximum, say) from stopping
   * until its invocations end, so `stop()` would never reach its grace and interrupt.
   */
  async #slotOrStop(signal: AbortSignal): Promise<void> {
    let onAbort = (): void => undefined;
    const stopped = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([...this.#inFlight, stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #receive(signal: AbortSignal): Promise<{ message: ReceivedMessage; queue: string }[]> {
    const size = this.#o.batchSize ?? 10;
    const out: { message: ReceivedMessage; queue: string }[] = [];
    try {
      for (const [i, queue] of this.#o.queues.entries()) {
        if (out.length >= size) break;
        const last = i === this.#o.queues.length - 1;
        const messages = await this.#o.queue.receive(queue, {
          maxMessages: size - out.length,
          waitTimeMs: last && out.length === 0 ? (this.#o.waitTimeMs ?? 1_000) : 0,
          signal,
        });
        for (const message of messages) out.push({ message, queue });
      }
    } catch (error) {
      if (!signal.aborted) {
        this.#o.logger.error('event source receive failed; backing off', {
          error,
          source: this.#o.name,
          queues: this.#o.queues,
        });
        await sleep(1_000, signal).catch(() => undefined);
      }
    }
    return out;
  }

  async #invoke(batch: readonly { message: ReceivedMessage; queue: string }[]): Promise<void> {
    const region = this.#o.region ?? 'us-east-1';
    const records = batch.map(({ message, queue }) => recordOf(message, queue, region));
    let failed: Set<string>;
    try {
      const response = await this.#o.handler(
        { Records: records },
        invocationContext(this.#o.name, this.#o.functionTimeoutMs),
      );
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      this.#o.logger.error('invocation failed; the batch will be delivered again', {
        error,
        source: this.#o.name,
      });
      return;
    }
    const done = new Map<string, string[]>();
    for (const { message, queue } of batch) {
      if (failed.has(message.messageId)) continue;
      done.set(queue, [...(done.get(queue) ?? []), message.receiptHandle]);
    }
    for (const [queue, handles] of done) {
      await this.#o.queue
        .delete(queue, handles)
        .catch((error: unknown) =>
          this.#o.logger.warn('deleting processed records failed', { error, queue }),
        );
    }
  }
}
