import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { EventPublisher, JobEvent, ServiceEvent } from '../../core/ports/index.js';
import { BackendUnavailableError, sleep } from '../../core/ports/index.js';
import { call } from './errors.js';

export interface EventBridgePublisherOptions {
  readonly busName: string;
  /** The `source` of every event; rules match on it. @default 'stagecoach' */
  readonly source?: string;
  /**
   * How long events wait for company before a PutEvents. Publishing is fire-and-forget for stages
   * (shells flush at the end of an invocation), so waiting costs no latency on the hop. @default 50
   */
  readonly lingerMs?: number;
  /** Attempts for entries PutEvents reports as failed. @default 4 */
  readonly entryAttempts?: number;
}

/** PutEvents takes at most ten entries and 256 KiB per call. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

interface Pending {
  readonly entry: PutEventsRequestEntry;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * EventPublisher on Amazon EventBridge. Events from concurrent messages are batched into PutEvents
 * calls of up to ten entries; entries the service reports as failed (throttling, internal errors)
 * are retried with backoff. `detail-type` is the event type, `detail` the event itself.
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #bus: string;
  readonly #source: string;
  readonly #lingerMs: number;
  readonly #entryAttempts: number;
  #buffer: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(client: EventBridgeClient, options: EventBridgePublisherOptions) {
    this.#client = client;
    this.#bus = options.busName;
    this.#source = options.source ?? 'stagecoach';
    this.#lingerMs = options.lingerMs ?? 50;
    this.#entryAttempts = options.entryAttempts ?? 4;
  }

  publish(events: readonly JobEvent[]): Promise<void> {
    return this.#enqueue(events);
  }

  /** Service events go to the same bus, `detail-type` their type, `detail` the event. */
  publishService(events: readonly ServiceEvent[]): Promise<void> {
    return this.#enqueue(events);
  }

  #enqueue(events: readonly (JobEvent | ServiceEvent)[]): Promise<void> {
    const sent = events.map(
      (event) =>
        new Promise<void>((resolve, reject) => {
          const detail = JSON.stringify(event);
          this.#buffer.push({
            entry: {
              EventBusName: this.#bus,
              Source: this.#source,
              DetailType: event.type,
              Detail: detail,
              Time: new Date(event.time),
            },
            bytes: Buffer.byteLength(detail) + event.type.length + this.#source.length + 64,
            resolve,
            reject,
          });
        }),
    );
    if (this.#lingerMs <= 0 || this.#buffer.length >= MAX_ENTRIES) this.#drain();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#drain(), this.#lingerMs);
      this.#timer.unref();
    }
    return Promise.all(sent).then(() => undefined);
  }

  async flush(): Promise<void> {
    this.#drain();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #drain(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#buffer;
    this.#buffer = [];
    let batch: Pending[] = [];
    let bytes = 0;
    const start = (): void => {
      if (batch.length === 0) return;
      const request = this.#send(batch).finally(() => this.#inFlight.delete(request));
      this.#inFlight.add(request);
      batch = [];
      bytes = 0;
    };
    for (const p of pending) {
      if (batch.length === MAX_ENTRIES || bytes + p.bytes > MAX_REQUEST_BYTES) start();
      batch.push(p);
      bytes += p.bytes;
    }
    start();
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    let left = [...batch];
    let lastError = '';
    try {
      for (let attempt = 0; attempt < this.#entryAttempts && left.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(50 * 2 ** attempt);
        const out = await call('EventBridge', 'PutEvents', () =>
          this.#client.send(new PutEventsCommand({ Entries: left.map((p) => p.entry) })),
        );
        const results = out.Entries ?? [];
        const failed: Pending[] = [];
        left.forEach((p, i) => {
          const result = results[i];
          if (result?.ErrorCode !== undefined && result.ErrorCode !== null) {
            failed.push(p);
            lastError = `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`;
          } else p.resolve();
        });
        left = failed;
      }
      if (left.length > 0) {
        const error = new BackendUnavailableError(
          'EventBridge',
          `PutEvents kept failing for ${left.length} event(s): ${lastError}`,
        );
        for (const p of left) p.reject(error);
      }
    } catch (error) {
      for (const p of left) p.reject(error);
    }
  }
}
