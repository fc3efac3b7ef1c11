import type { Backend } from '../ports/backend.js';
import { type Clock, sleep, systemClock } from '../ports/clock.js';
import { MAX_BATCH, type ReceivedMessage } from '../ports/job-queue.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { Pipeline } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';
import { DeadLetterHandler } from './dead-letters.js';
import type { HoldCache } from './holds.js';
import type { EventPolicy } from './publishing.js';
import { StageRunner } from './runner.js';
import { type Disposition, newWorkerId, type Outcome, type RunnerOptions } from './runner-kit.js';
import type { Topology } from './topology.js';

/** How long a message whose events failed to publish waits before it is delivered again. */
const UNPUBLISHED_RETRY_MS = 2_000;

export interface WorkerPoolOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events' | 'blobs' | 'records'>;
  readonly topology: Topology;
  /** Which stages this pool consumes. @default every stage */
  readonly stages?: (pipeline: Pipeline, stage: Stage) => boolean;
  /** Messages in flight per stage. @default the stage's compute.concurrency */
  readonly concurrency?: number | ((stage: Stage) => number);
  /** Long-poll wait per receive. @default 1000 */
  readonly waitTimeMs?: number;
  /** Consume the stages' dead-letter queues too. @default true */
  readonly deadLetters?: boolean;
  /**
   * Periodic upkeep this process runs beside its consumers (releasing expired holds, reconciling
   * overdue jobs), every `everyMs`. Failures are logged and retried at the next tick.
   */
  readonly maintenance?: { readonly everyMs: number; run(): Promise<unknown> };
  readonly holds?: HoldCache;
  readonly workerId?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly progressIntervalMs?: number;
  readonly cancelGraceMs?: number;
  /** How long a message whose job write has not landed yet is kept before it is dropped. @default 30000 */
  readonly orphanGraceMs?: number;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
  /** How many of a tenant's jobs may run a stage at once (see RunnerOptions.runningLimit). */
  readonly runningLimit?: RunnerOptions['runningLimit'];
  /** Each run's storage and records, per tenant (see RunnerOptions.tenantStores). */
  readonly tenantStores?: RunnerOptions['tenantStores'];
  /** Which events go to the bus (shared by the process's runners and job service). */
  readonly events?: EventPolicy;
  /** Called after every message, for metrics and tests. */
  readonly onOutcome?: (stage: string, outcome: Outcome | 'error') => void;
}

interface Consumer {
  readonly pipeline: Pipeline;
  readonly runner: StageRunner;
  /** Lanes by priority, highest first. */
  readonly lanes: readonly string[];
  readonly concurrency: number;
  readonly batchSize: number;
  inFlight: number;
  /** Stages that ignored their AbortSignal and still run: they keep their slots. */
  zombies: number;
  slotFreed: (() => void) | undefined;
}

/** Deletes acknowledged messages in batches of up to ten per queue. */
class AckBatcher {
  readonly #pending = new Map<string, string[]>();
  readonly #backend: WorkerPoolOptions['backend'];
  readonly #log: Logger;
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(backend: WorkerPoolOptions['backend'], log: Logger) {
    this.#backend = backend;
    this.#log = log;
  }

  add(queue: string, receiptHandle: string): void {
    let list = this.#pending.get(queue);
    if (list === undefined) {
      list = [];
      this.#pending.set(queue, list);
    }
    list.push(receiptHandle);
    if (list.length >= MAX_BATCH) this.#flushQueue(queue);
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        for (const name of [...this.#pending.keys()]) this.#flushQueue(name);
      });
    }
  }

  async flush(): Promise<void> {
    for (const name of [...this.#pending.keys()]) this.#flushQueue(name);
    await this.#flushing;
  }

  #flushQueue(queue: string): void {
    const handles = this.#pending.get(queue);
    if (handles === undefined || handles.length === 0) return;
    this.#pending.delete(queue);
    const work = this.#backend.queue
      .delete(queue, handles)
      .catch((error: unknown) =>
        this.#log.warn('deleting messages failed; they will be delivered again', { error, queue }),
      );
    this.#flushing = Promise.all([this.#flushing, work]).then(() => undefined);
  }
}

/**
 * Runs stage consumers in this process: per stage, up to `concurrency` messages in flight, lanes
 * polled highest priority first. The Fargate worker and the local runtimes are this pool; Lambda
 * runs the same runner from its handler instead. `stop()` is graceful: it stops receiving, lets
 * in-flight stages finish within the timeout, then interrupts the rest and releases their messages.
 */
export class WorkerPool {
  readonly #o: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #consumers: Consumer[] = [];
  readonly #acks: AckBatcher;
  readonly #deadLetters: DeadLetterHandler;
  readonly #loops: Promise<void>[] = [];
  readonly #tasks = new Set<Promise<void>>();
  #receiving = new AbortController();
  #sweeper: NodeJS.Timeout | undefined;
  #running = false;
  readonly workerId: string;

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.workerId = options.workerId ?? newWorkerId();
    this.#log = (options.logger ?? silentLogger).child({ worker: this.workerId });
    this.#acks = new AckBatcher(options.backend, this.#log);
    this.#deadLetters = new DeadLetterHandler({
      backend: options.backend,
      topology: options.topology,
      clock: this.#clock,
      logger: this.#log,
    });
    for (const pipeline of options.topology.pipelines.values()) {
      for (const stage of pipeline.stages) {
        if (options.stages !== undefined && !options.stages(pipeline, stage)) continue;
        const queues = options.topology.stageQueues(pipeline.name, stage.name);
        const concurrency =
          typeof options.concurrency === 'function'
            ? options.concurrency(stage)
            : (options.concurrency ?? stage.compute.concurrency);
        this.#consumers.push({
          pipeline,
          runner: new StageRunner(pipeline, stage, {
            backend: options.backend,
            topology: options.topology,
            workerId: this.workerId,
            clock: this.#clock,
            logger: this.#log,
            ...(options.holds === undefined ? {} : { holds: options.holds }),
            ...(options.random === undefined ? {} : { random: options.random }),
            ...(options.progressIntervalMs === undefined
              ? {}
              : { progressIntervalMs: options.progressIntervalMs }),
            ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
            ...(options.orphanGraceMs === undefined ? {} : { orphanGraceMs: options.orphanGraceMs }),
            ...(options.runningLimit === undefined ? {} : { runningLimit: options.runningLimit }),
            ...(options.tenantStores === undefined ? {} : { tenantStores: options.tenantStores }),
            ...(options.retentionS === undefined ? {} : { retentionS: options.retentionS }),
            ...(options.events === undefined ? {} : { events: options.events }),
          }),
          lanes: [...queues.lanes].reverse(),
          concurrency: Math.max(1, concurrency),
          batchSize: Math.min(MAX_BATCH, stage.compute.batchSize),
          inFlight: 0,
          zombies: 0,
          slotFreed: undefined,
        });
      }
    }
  }

  get running(): boolean {
    return this.#running;
  }

  /** Stages that ignored their AbortSignal past the grace period and still hold their slots. */
  get zombies(): number {
    return this.#consumers.reduce((sum, c) => sum + c.zombies, 0);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#receiving = new AbortController();
    for (const consumer of this.#consumers) this.#loops.push(this.#consume(consumer));
    if (this.#o.deadLetters !== false) {
      const dlqs = new Set(
        this.#consumers.map((c) => this.#o.topology.stageQueues(c.pipeline.name, c.runner.stage.name).dlq),
      );
      for (const dlq of dlqs) this.#loops.push(this.#consumeDeadLetters(dlq));
    }
    const upkeep = this.#o.maintenance;
    if (upkeep !== undefined && upkeep.everyMs > 0) {
      this.#sweeper = setInterval(() => {
        upkeep.run().catch((error: unknown) => this.#log.warn('maintenance failed', { error }));
      }, upkeep.everyMs);
      this.#sweeper.unref();
    }
    this.#log.info('worker pool started', {
      stages: this.#consumers.map((c) => `${c.pipeline.name}/${c.runner.stage.name}×${c.concurrency}`),
    });
  }

  /** Stops receiving, waits up to `timeoutMs` for in-flight stages, then interrupts the rest. */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#receiving.abort();
    for (const consumer of this.#consumers) consumer.slotFreed?.();
    await Promise.all(this.#loops.splice(0));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = new AbortController();
    const drained = await Promise.race([
      Promise.all([...this.#tasks]).then(() => true),
      sleep(timeoutMs, deadline.signal).then(
        () => false,
        () => true,
      ),
    ]);
    // The deadline's timer must not outlive the stop: it would hold the process open for timeoutMs.
    deadline.abort();
    if (!drained) {
      this.#log.warn('stop timeout reached; interrupting in-flight stages', { in_flight: this.#tasks.size });
      for (const consumer of this.#consumers) consumer.runner.interrupt();
      await Promise.all([...this.#tasks]);
    }
    await this.#acks.flush();
    await this.#o.backend.events.flush();
    this.#log.info('worker pool stopped');
  }

  async #consume(c: Consumer): Promise<void> {
    const signal = this.#receiving.signal;
    while (!signal.aborted) {
      const free = c.concurrency - c.inFlight - c.zombies;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          c.slotFreed = resolve;
        });
        c.slotFreed = undefined;
        continue;
      }
      const batch = await this.#receive(c, Math.min(free, c.batchSize), signal);
      for (const { message, queue } of batch) {
        c.inFlight += 1;
        const task = this.#process(c, message, queue).then(({ settled }) => {
          c.inFlight -= 1;
          this.#tasks.delete(task);
          if (settled !== undefined) {
            // The message is handled, but its stage still runs: the slot stays taken until it ends.
            c.zombies += 1;
            void settled.finally(() => {
              c.zombies -= 1;
              c.slotFreed?.();
            });
          }
          c.slotFreed?.();
        });
        this.#tasks.add(task);
      }
    }
  }

  /** Highest lane first without waiting; long-polls the lowest lane only when all are empty. */
  async #receive(
    c: Consumer,
    max: number,
    signal: AbortSignal,
  ): Promise<{ message: ReceivedMessage; queue: string }[]> {
    const out: { message: ReceivedMessage; queue: string }[] = [];
    try {
      for (let i = 0; i < c.lanes.length && out.length < max; i += 1) {
        const queue = c.lanes[i] ?? '';
        const last = i === c.lanes.length - 1;
        const waitTimeMs = last && out.length === 0 ? (this.#o.waitTimeMs ?? 1_000) : 0;
        const messages = await this.#o.backend.queue.receive(queue, {
          maxMessages: max - out.length,
          waitTimeMs: c.lanes.length > 1 && last ? Math.min(waitTimeMs, 1_000) : waitTimeMs,
          signal,
        });
        for (const message of messages) out.push({ message, queue });
      }
    } catch (error) {
      if (!signal.aborted) {
        this.#log.error('receive failed; backing off', { error, stage: c.runner.stage.name });
        await sleep(1_000, signal).catch(() => undefined);
      }
    }
    return out;
  }

  /** Handles one message; gives the promise of a stage that ignored its signal, if any (wrapped: an
   * async function would otherwise wait for it). */
  async #process(
    c: Consumer,
    message: ReceivedMessage,
    queue: string,
  ): Promise<{ readonly settled: Promise<void> | undefined }> {
    let disposition: Disposition;
    try {
      disposition = await c.runner.handle(message, { queue });
    } catch (error) {
      // The backend failed mid-way: leave the message; it is delivered again after its visibility
      // timeout, and the runner's checks make the redelivery safe.
      this.#log.error('processing failed; the message will be delivered again', {
        error,
        stage: c.runner.stage.name,
        message_id: message.messageId,
      });
      this.#o.onOutcome?.(c.runner.stage.name, 'error');
      return { settled: undefined };
    }
    // A message whose events did not reach the bus stays: its redelivery publishes them again.
    const unpublished = disposition.published !== undefined && !(await disposition.published);
    if (disposition.action === 'delete' && !unpublished) this.#acks.add(queue, message.receiptHandle);
    else {
      const delayMs = disposition.action === 'release' ? disposition.delayMs : UNPUBLISHED_RETRY_MS;
      await this.#o.backend.queue
        .changeVisibility(queue, message.receiptHandle, delayMs)
        .catch((error: unknown) => this.#log.warn('releasing a message failed', { error, queue }));
    }
    this.#o.onOutcome?.(c.runner.stage.name, disposition.outcome);
    return { settled: disposition.settled };
  }

  async #consumeDeadLetters(dlq: string): Promise<void> {
    const signal = this.#receiving.signal;
    while (!signal.aborted) {
      try {
        const messages = await this.#o.backend.queue.receive(dlq, {
          maxMessages: MAX_BATCH,
          waitTimeMs: this.#o.waitTimeMs ?? 1_000,
          signal,
        });
        for (const message of messages) {
          await this.#deadLetters.handle(message, dlq);
          await this.#o.backend.queue.delete(dlq, [message.receiptHandle]);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#log.error('dead-letter handling failed; backing off', { error, queue: dlq });
        await sleep(1_000, signal).catch(() => undefined);
      }
    }
  }
}
