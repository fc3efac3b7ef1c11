import { randomUUID } from 'node:crypto';
import type { Backend } from '../ports/backend.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { JobEnvelope } from '../ports/contract.js';
import type { SerializedError, StagecoachError } from '../ports/errors.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  JobChange,
  JobEvent,
  JobRecord,
  JobStatus,
} from '../ports/job.js';
import type { JobQueue, ReceivedMessage } from '../ports/job-queue.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { Pipeline } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';
import { EventFactory } from './events.js';
import type { HoldCache } from './holds.js';
import type { ControlReason } from './lease.js';
import type { Topology } from './topology.js';

export interface RunnerOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events' | 'blobs' | 'records'>;
  readonly topology: Topology;
  /** Identifies this worker in leases and attempts. */
  readonly workerId: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly holds?: HoldCache;
  /** Source of randomness for backoff jitter, in [0, 1). */
  readonly random?: () => number;
  /** Minimum spacing of live progress events per job. @default 250 */
  readonly progressIntervalMs?: number;
  /** How long process() may take to honour its AbortSignal before the runner stops waiting. @default 2000 */
  readonly cancelGraceMs?: number;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
}

/** What the shell must do with the message once the runner is done with it. */
export type Disposition =
  | { readonly action: 'delete'; readonly outcome: Outcome }
  | { readonly action: 'release'; readonly delayMs: number; readonly outcome: Outcome };

export type Outcome =
  | 'forwarded'
  | 'done'
  | 'retry-scheduled'
  | 'failed'
  | 'dead-lettered'
  | 'duplicate'
  | 'healed'
  | 'skipped'
  | 'parked'
  | 'held'
  | 'aborted'
  | 'paused'
  | 'deferred'
  | 'busy'
  | 'interrupted';

export interface MessageSource {
  readonly queue: string;
  /**
   * Where this message's sends go (forward, retry, dead letter). A shell may pass a batching
   * outbox — the Lambda handler sends a whole invocation's forwards in one batch. @default the queue
   */
  readonly outbox?: Pick<JobQueue, 'send'>;
}

/** A not_before within this margin counts as due (clocks and queue delays are not exact). */
export const DUE_SLACK_MS = 1_000;

export interface Attempt {
  readonly env: JobEnvelope;
  readonly message: ReceivedMessage;
  readonly source: MessageSource;
  readonly retryCount: number;
  readonly startedAt: number;
  readonly log: Logger;
}

export const delete_ = (outcome: Outcome): Disposition => ({ action: 'delete', outcome });
export const release = (delayMs: number, outcome: Outcome): Disposition => ({
  action: 'release',
  delayMs,
  outcome,
});

/**
 * What the runner's steps share: the stage, the options, and the small builders every step uses
 * (events, attempt records, the expectation "I still hold the lease", dead-lettering).
 */
export class RunnerKit {
  readonly pipeline: Pipeline;
  readonly stage: Stage;
  readonly o: RunnerOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventFactory;
  readonly dlq: string;

  constructor(pipeline: Pipeline, stage: Stage, options: RunnerOptions) {
    this.pipeline = pipeline;
    this.stage = stage;
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ pipeline: pipeline.name, stage: stage.name });
    this.events = new EventFactory(this.clock);
    this.dlq = options.topology.stageQueues(pipeline.name, stage.name).dlq;
  }

  /** A malformed or misrouted message: to the stage's DLQ with the reason; never a crash. */
  async deadLetter(
    message: ReceivedMessage,
    source: MessageSource,
    error: StagecoachError,
  ): Promise<Disposition> {
    this.log.error('dead-lettering a message', {
      code: error.code,
      reason: error.message,
      queue: source.queue,
    });
    await this.outbox(source).send(this.dlq, [
      {
        body: message.body,
        attributes: deadLetterAttributes(error.code, error.message, source.queue, message),
      },
    ]);
    return delete_('dead-lettered');
  }

  outbox(source: MessageSource): Pick<JobQueue, 'send'> {
    return source.outbox ?? this.o.backend.queue;
  }

  mine(env: JobEnvelope, noControl: boolean): JobChange['expect'] {
    return {
      status: ['RUNNING'],
      hop: env.hop,
      leaseOwner: this.o.workerId,
      ...(noControl ? { noControl } : {}),
    };
  }

  holdsLease(job: JobRecord, env: JobEnvelope): boolean {
    return job.status === 'RUNNING' && job.hop === env.hop && job.lease?.owner === this.o.workerId;
  }

  event(
    type: JobEvent['type'],
    env: JobEnvelope,
    status: JobStatus,
    hop: number,
    attempt?: number,
    data?: Record<string, unknown>,
  ): JobEvent {
    return this.events.make(type, env, {
      stage: env.stage,
      status,
      hop,
      ...(attempt === undefined ? {} : { attempt }),
      ...(data === undefined ? {} : { data }),
    });
  }

  attempt(
    env: JobEnvelope,
    attempt: number,
    startedAt: number,
    outcome: AttemptOutcome,
    error?: SerializedError,
  ): AttemptRecord {
    const now = this.clock.now();
    return {
      job_id: env.job_id,
      stage: env.stage,
      hop: env.hop,
      attempt,
      worker: this.o.workerId,
      started_at: iso(startedAt),
      ended_at: iso(now),
      duration_ms: Math.max(0, now - startedAt),
      outcome,
      ...(error === undefined ? {} : { error }),
    };
  }

  /**
   * Hands events to the publisher without waiting: the store's event log already holds the durable
   * ones, so the bus is for live subscribers, and a batching publisher can combine the events of
   * concurrent messages. Shells call `events.flush()` before they return or stop.
   */
  publish(events: readonly JobEvent[], log: Logger): void {
    this.o.backend.events.publish(events).catch((error: unknown) => {
      log.warn('publishing events failed', { error, types: events.map((e) => e.type) });
    });
  }

  expiry(now: number): number {
    return Math.floor(now / 1000) + (this.o.retentionS ?? 90 * 86_400);
  }

  iso(): string {
    return iso(this.clock.now());
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function withoutNotBefore(env: JobEnvelope): JobEnvelope {
  const { not_before: _dropped, ...rest } = env;
  return rest;
}

export function controlMessage(reason: ControlReason): string {
  switch (reason) {
    case 'aborted':
      return 'The job was aborted.';
    case 'paused':
      return 'The job was paused; the stage runs again on resume.';
    case 'lease-lost':
      return 'Another worker took over this stage.';
  }
}

export function deadLetterAttributes(
  code: string,
  reason: string,
  sourceQueue: string,
  message: ReceivedMessage,
): Record<string, string> {
  return {
    dead_letter_code: code,
    dead_letter_reason: reason.length > 1_000 ? `${reason.slice(0, 997)}...` : reason,
    source_queue: sourceQueue,
    original_message_id: message.messageId,
  };
}

export const newWorkerId = (prefix = 'worker'): string => `${prefix}-${randomUUID().slice(0, 8)}`;
