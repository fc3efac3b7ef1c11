import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BackendUnavailableError,
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
  sleep,
} from '../../core/ports/index.js';
import { call, isAwsError } from './errors.js';

export interface SqsJobQueueOptions {
  /**
   * How long a send waits for other sends to the same queue, so the forwards of concurrent
   * messages leave in one SendMessageBatch. 0 sends at once. @default 5
   */
  readonly lingerMs?: number;
  /** Attempts for entries a batch reports as failed. @default 3 */
  readonly entryAttempts?: number;
}

interface Pending {
  readonly message: OutgoingMessage;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/** SQS's limit on the payload of one SendMessageBatch: the bodies and attributes of all entries. */
const MAX_BATCH_BYTES = 1024 * 1024;

/** What an entry counts against {@link MAX_BATCH_BYTES}: body, attribute names, types and values. */
function entryBytes(message: OutgoingMessage): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 'String'.length;
  }
  return bytes;
}

/**
 * JobQueue on Amazon SQS (standard queues): batched sends and deletes, long polling, message
 * attributes, visibility changes for heartbeats, DelaySeconds for backoff (the core re-queues
 * longer delays in steps of at most 15 minutes), and a RedrivePolicy for the dead-letter queue.
 */
export class SqsJobQueue implements JobQueue {
  readonly #sqs: SQSClient;
  readonly #urls = new Map<string, Promise<string>>();
  readonly #pending = new Map<string, Pending[]>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #lingerMs: number;
  readonly #entryAttempts: number;

  constructor(sqs: SQSClient, options: SqsJobQueueOptions = {}) {
    this.#sqs = sqs;
    this.#lingerMs = options.lingerMs ?? 5;
    this.#entryAttempts = options.entryAttempts ?? 3;
  }

  async ensureQueue(spec: QueueSpec): Promise<void> {
    const attributes: Record<string, string> = {
      VisibilityTimeout: String(seconds(spec.visibilityTimeoutMs)),
      MessageRetentionPeriod: String(seconds(spec.retentionMs ?? 4 * 86_400_000)),
      SqsManagedSseEnabled: 'true',
    };
    if (spec.deadLetterQueue !== undefined) {
      const dlqArn = await this.#arn(spec.deadLetterQueue);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlqArn,
        maxReceiveCount: spec.maxReceiveCount ?? 5,
      });
    }
    const out = await call('SQS', 'CreateQueue', () =>
      this.#sqs.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: attributes })),
    );
    if (out.QueueUrl !== undefined) this.#urls.set(spec.name, Promise.resolve(out.QueueUrl));
  }

  send(queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const sends = messages.map(
      (message) =>
        new Promise<void>((resolve, reject) => {
          let list = this.#pending.get(queue);
          if (list === undefined) {
            list = [];
            this.#pending.set(queue, list);
          }
          list.push({ message, resolve, reject });
        }),
    );
    const waiting = this.#pending.get(queue)?.length ?? 0;
    if (this.#lingerMs <= 0 || waiting >= MAX_BATCH) this.#flush(queue);
    else if (!this.#timers.has(queue)) {
      const timer = setTimeout(() => this.#flush(queue), this.#lingerMs);
      timer.unref();
      this.#timers.set(queue, timer);
    }
    return Promise.all(sends).then(() => undefined);
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const url = await this.#url(queue);
    try {
      const out = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(MAX_BATCH, Math.max(1, options.maxMessages)),
          WaitTimeSeconds: Math.min(20, seconds(options.waitTimeMs)),
          ...(options.visibilityTimeoutMs === undefined
            ? {}
            : { VisibilityTimeout: seconds(options.visibilityTimeoutMs) }),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
        options.signal === undefined ? {} : { abortSignal: options.signal },
      );
      return (out.Messages ?? []).map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
        sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()),
        attributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([key, value]) => [key, value.StringValue ?? '']),
        ),
      }));
    } catch (error) {
      if (options.signal?.aborted) return [];
      if (isAwsError(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) {
        throw new QueueNotFoundError(queue);
      }
      return call('SQS', 'ReceiveMessage', () => Promise.reject(error));
    }
  }

  async changeVisibility(queue: string, receiptHandle: string, timeoutMs: number): Promise<void> {
    const url = await this.#url(queue);
    try {
      await this.#sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(43_200, seconds(timeoutMs)),
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ReceiptHandleIsInvalid', 'MessageNotInflight', 'InvalidParameterValue')) {
        throw new ReceiptHandleError(queue);
      }
      await call('SQS', 'ChangeMessageVisibility', () => Promise.reject(error));
    }
  }

  async delete(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const url = await this.#url(queue);
    for (let i = 0; i < receiptHandles.length; i += MAX_BATCH) {
      const chunk = receiptHandles.slice(i, i + MAX_BATCH);
      const out = await call('SQS', 'DeleteMessageBatch', () =>
        this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((handle, n) => ({ Id: String(n), ReceiptHandle: handle })),
          }),
        ),
      );
      // A stale receipt handle deletes nothing, as with the memory queue; anything else is a fault.
      const real = (out.Failed ?? []).filter(
        (f) => f.Code !== 'ReceiptHandleIsInvalid' && f.SenderFault !== true,
      );
      if (real.length > 0) {
        throw new BackendUnavailableError(
          'SQS',
          `DeleteMessageBatch failed for ${real.length} message(s): ${real[0]?.Message ?? real[0]?.Code}`,
        );
      }
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    const url = await this.#url(queue);
    const out = await call('SQS', 'GetQueueAttributes', () =>
      this.#sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      ),
    );
    const a = out.Attributes ?? {};
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /** Sends whatever is waiting for its linger to end. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending.keys()].map((queue) => this.#flush(queue)));
  }

  // -------------------------------------------------------------------------------------------

  #flush(queue: string): Promise<void> {
    const timer = this.#timers.get(queue);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(queue);
    const pending = this.#pending.get(queue) ?? [];
    this.#pending.delete(queue);
    // A SendMessageBatch holds at most 10 entries and 1 MiB of bodies and attributes together.
    const batches: Pending[][] = [];
    let batch: Pending[] = [];
    let bytes = 0;
    for (const p of pending) {
      const size = entryBytes(p.message);
      if (batch.length === MAX_BATCH || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(p);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
    return Promise.all(batches.map((batch) => this.#sendBatch(queue, batch))).then(() => undefined);
  }

  async #sendBatch(queue: string, batch: readonly Pending[]): Promise<void> {
    let left = [...batch];
    let lastError = '';
    try {
      const url = await this.#url(queue);
      for (let attempt = 0; attempt < this.#entryAttempts && left.length > 0; attempt += 1) {
        // Entries the batch refused (throttling, an internal error) go again after a jittered wait.
        if (attempt > 0) await sleep(Math.random() * Math.min(1_000, 50 * 2 ** attempt));
        const out = await call('SQS', 'SendMessageBatch', () =>
          this.#sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: url,
              Entries: left.map((p, n) => ({
                Id: String(n),
                MessageBody: p.message.body,
                ...(p.message.delayMs
                  ? { DelaySeconds: seconds(Math.min(p.message.delayMs, MAX_DELAY_MS)) }
                  : {}),
                ...(p.message.attributes === undefined
                  ? {}
                  : { MessageAttributes: toAttributes(p.message.attributes) }),
                // A standard queue with message groups is a fair queue: no group's backlog
                // holds back another's messages.
                ...(p.message.group === undefined || p.message.group === ''
                  ? {}
                  : { MessageGroupId: p.message.group.slice(0, 128) }),
              })),
            }),
          ),
        );
        const failed = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
        lastError = (out.Failed ?? []).map((f) => `${f.Code}: ${f.Message ?? ''}`).join('; ');
        for (const [n, p] of left.entries()) if (!failed.has(n)) p.resolve();
        left = left.filter((_, n) => failed.has(n));
      }
      if (left.length > 0) {
        const error = new BackendUnavailableError(
          'SQS',
          `SendMessageBatch kept failing for ${left.length} message(s): ${lastError}`,
        );
        for (const p of left) p.reject(error);
      }
    } catch (error) {
      for (const p of left)
        p.reject(isAwsError(error, 'QueueDoesNotExist') ? new QueueNotFoundError(queue) : error);
    }
  }

  #url(queue: string): Promise<string> {
    let url = this.#urls.get(queue);
    if (url === undefined) {
      url = this.#sqs.send(new GetQueueUrlCommand({ QueueName: queue })).then(
        (out) => out.QueueUrl ?? '',
        (error: unknown) => {
          this.#urls.delete(queue);
          if (isAwsError(error, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) {
            throw new QueueNotFoundError(queue);
          }
          return call('SQS', 'GetQueueUrl', () => Promise.reject(error));
        },
      );
      this.#urls.set(queue, url);
    }
    return url;
  }

  async #arn(queue: string): Promise<string> {
    const out = await call('SQS', 'GetQueueAttributes', async () =>
      this.#sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: await this.#url(queue), AttributeNames: ['QueueArn'] }),
      ),
    );
    return out.Attributes?.QueueArn ?? '';
  }
}

function toAttributes(attributes: Readonly<Record<string, string>>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes)
      .filter(([, value]) => value.length > 0)
      .map(([key, value]) => [key, { DataType: 'String', StringValue: value }]),
  );
}
