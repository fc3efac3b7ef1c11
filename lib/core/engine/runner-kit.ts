import { randomUUID } from 'node:crypto';
import type { Backend } from '../ports/backend.js';
import type { BlobStore } from '../ports/blob-store.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { JobEnvelope } from '../ports/contract.js';
import type { SerializedError, StagecoachError } from '../ports/errors.js';
import type { Expectation, JobChange, JobEvent, JobRecord, MarkEntry, RunEntry } from '../ports/job.js';
import type { JobQueue, OutgoingMessage, ReceivedMessage } from '../ports/job-queue.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import type { RecordStore } from '../ports/record-store.js';
import { nextStage, type Pipeline } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';
import { compactError, entryEvents, markEvent, type StageShape } from './history.js';
import type { HoldCache } from './holds.js';
import { EventPolicy } from './publishing.js';
import type { Topology } from './topology.js';

/** The control actions that put a job back on a queue at a new hop. */
const REQUEUE_MARKS: ReadonlySet<MarkEntry['type']> = new Set(['job.resumed', 'job.replayed']);

/**
 * The stores a run of one tenant's job reaches its storage and records through: keys are the
 * deployment's (the runner still puts them under the tenant's prefix and partitions). The runner
 * keeps them per tenant for as long as it lives, so they must stay usable that long (an adapter on
 * expiring credentials looks its credentials up on each call).
 */
export type TenantStores = (tenantId: string) => {
  readonly blobs: BlobStore;
  readonly records: RecordStore;
};

export interface RunnerOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events' | 'blobs' | 'records'>;
  readonly topology: Topology;
  /** Identifies this worker in leases and attempts. */
  readonly workerId: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly holds?: HoldCache;
  /** Which events go to the bus, and when someone is watching (shared by a process's runners). */
  readonly events?: EventPolicy;
  /** Source of randomness for backoff jitter, in [0, 1). */
  readonly random?: () => number;
  /** Minimum spacing of live progress events per job. @default 250 */
  readonly progressIntervalMs?: number;
  /** How long process() may take to honour its AbortSignal before the runner stops waiting. @default 2000 */
  readonly cancelGraceMs?: number;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
  /**
   * How long a message for a job that does not exist, or is not yet at the message's hop, is kept
   * waiting for the control-plane write that follows its send; then it is an orphan and dropped.
   * @default 30000
   */
  readonly orphanGraceMs?: number;
  /**
   * How many of a tenant's jobs may run this stage at once (undefined: no limit). A job over the
   * limit waits in the queue, untouched (see tenant-slots.ts).
   */
  readonly runningLimit?: (tenantId: string, pipeline: string, stage: string) => number | undefined;
  /**
   * Where each run's `ctx.storage` and `ctx.records` go: the stores of the job's tenant (in AWS, on
   * credentials confined to that tenant by IAM). The runner's own bookkeeping — the job's state,
   * its queues and events — stays on `backend`. @default `backend.blobs` and `backend.records`
   */
  readonly tenantStores?: TenantStores;
}

/** What the shell must do with the message once the runner is done with it. */
export type Disposition =
  | {
      readonly action: 'delete';
      readonly outcome: Outcome;
      readonly settled?: Promise<void>;
      /**
       * Resolves true when every event this message's processing published reached the bus. A
       * shell deletes the message only then; on false it releases it, and the redelivery — which
       * finds its step already done — publishes that step's events again.
       */
      readonly published?: Promise<boolean>;
    }
  | {
      readonly action: 'release';
      readonly delayMs: number;
      readonly outcome: Outcome;
      readonly settled?: Promise<void>;
      readonly published?: Promise<boolean>;
    };

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
  | 'throttled'
  | 'busy'
  | 'waiting'
  | 'orphaned'
  | 'lease-lost'
  | 'interrupted';

export interface MessageSource {
  readonly queue: string;
  /**
   * Where this message's sends go (forward, retry, dead letter). A shell may pass a batching
   * outbox — the Lambda handler sends a whole invocation's forwards in one batch. @default the queue
   */
  readonly outbox?: Pick<JobQueue, 'send'>;
  /** Filled by the runner: whether each publish made for this message reached the bus. */
  readonly published?: Promise<boolean>[];
}

/** Why a running stage must stop, as seen by its heartbeat. */
export type ControlReason = 'aborted' | 'paused' | 'lease-lost';

/** A not_before within this margin counts as due (clocks and queue delays are not exact). */
export const DUE_SLACK_MS = 1_000;

/** The claim a long-running attempt holds: its open history entry and its lease. */
export interface Claim {
  readonly index: number;
  readonly run: RunEntry;
  leaseExpiresAt: number;
}

/**
 * One message being processed: its envelope, where it came from, the attempt it is, and — once the
 * stage has run long enough to be claimed — the claim.
 */
/** The slot a running stage holds in its tenant's pool for the stage (tenant-slots.ts). */
export interface HeldSlot {
  readonly pool: string;
  readonly holder: string;
  readonly limit: number;
}

export interface Execution {
  readonly env: JobEnvelope;
  readonly message: ReceivedMessage;
  readonly source: MessageSource;
  /** Retries used before this attempt; the attempt number is this + 1. */
  readonly retryCount: number;
  readonly startedAt: number;
  readonly log: Logger;
  claim: Claim | undefined;
  /** Why the heartbeat stopped the stage, when it did. */
  stopped: ControlReason | undefined;
  /** Claim the stage once it has run this long. @default the stage's heartbeat interval */
  readonly claimAfterMs?: number | undefined;
  /** The tenant's concurrency slot this attempt holds, when the stage is limited for the tenant. */
  readonly slot?: HeldSlot | undefined;
}

export const delete_ = (outcome: Outcome, settled?: Promise<void>): Disposition => ({
  action: 'delete',
  outcome,
  ...(settled === undefined ? {} : { settled }),
});
export const release = (delayMs: number, outcome: Outcome, settled?: Promise<void>): Disposition => ({
  action: 'release',
  delayMs: Math.max(0, Math.round(delayMs)),
  outcome,
  ...(settled === undefined ? {} : { settled }),
});

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What the runner's steps share: the stage, the ports, and the small builders every step uses
 * (expectations, run entries, events, sends, dead-lettering).
 */
export class RunnerKit {
  readonly pipeline: Pipeline;
  readonly stage: Stage;
  readonly store: Backend['store'];
  readonly queue: Backend['queue'];
  readonly topology: Topology;
  readonly workerId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventPolicy;
  readonly dlq: string;
  readonly shape: StageShape;
  readonly #o: RunnerOptions;

  constructor(pipeline: Pipeline, stage: Stage, options: RunnerOptions) {
    this.#o = options;
    this.pipeline = pipeline;
    this.stage = stage;
    this.store = options.backend.store;
    this.queue = options.backend.queue;
    this.topology = options.topology;
    this.workerId = options.workerId;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ pipeline: pipeline.name, stage: stage.name });
    this.events = options.events ?? new EventPolicy({ store: options.backend.store, clock: this.clock });
    this.dlq = options.topology.stageQueues(pipeline.name, stage.name).dlq;
    this.shape = shapeOf(pipeline);
  }

  get options(): RunnerOptions {
    return this.#o;
  }

  /** The expectation that this attempt may still write the job: its claim, or the job waiting for it. */
  expectation(x: Execution, noControl: boolean): Expectation {
    if (x.claim !== undefined) {
      return {
        status: ['RUNNING'],
        hop: x.env.hop,
        leaseOwner: this.workerId,
        ...(noControl ? { noControl } : {}),
      };
    }
    return { status: ['QUEUED', 'RETRY_WAITING'], hop: x.env.hop, stage: x.env.stage };
  }

  /** The attempt's run entry, ended now with `outcome`. */
  endedRun(
    x: Execution,
    outcome: RunEntry['outcome'],
    error?: SerializedError,
    retryInMs?: number,
  ): RunEntry {
    return {
      kind: 'run',
      stage: x.env.stage,
      hop: x.env.hop,
      attempt: x.retryCount + 1,
      worker: this.workerId,
      started_at: x.claim?.run.started_at ?? x.startedAt,
      ended_at: Math.max(this.clock.now(), x.claim?.run.started_at ?? x.startedAt),
      ...(outcome === undefined ? {} : { outcome }),
      ...(error === undefined ? {} : { error: compactError(error) }),
      ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }),
    };
  }

  /** The history part of a change: close the claim's open entry, or append the whole run. */
  withRun(x: Execution, run: RunEntry): Pick<JobChange, 'append' | 'replace'> {
    return x.claim !== undefined ? { replace: { index: x.claim.index, entry: run } } : { append: [run] };
  }

  holdsLease(job: JobRecord | undefined, env: JobEnvelope): boolean {
    return job?.status === 'RUNNING' && job.hop === env.hop && job.lease?.owner === this.workerId;
  }

  /**
   * The events a run entry adds, as the job's derived log has them. The first run of a hop a
   * control action started (resume, replay, a hold's release) carries that action's event again
   * (same id): the action published it once, and this makes it reach the bus even if that publish
   * or its answer was lost.
   */
  runEvents(job: JobRecord, run: RunEntry): JobEvent[] {
    const events = entryEvents(job, run, this.shape, job.params);
    const firstRun = job.history.find((e): e is RunEntry => e.kind === 'run' && e.hop === run.hop);
    if (firstRun !== undefined && firstRun.started_at !== run.started_at) return events;
    const requeue = job.history.findLast(
      (e): e is MarkEntry => e.kind === 'mark' && e.hop === run.hop && REQUEUE_MARKS.has(e.type),
    );
    return requeue === undefined ? events : [markEvent(job, requeue), ...events];
  }

  /**
   * Hands events to the publisher, by the event policy; never fails the step. With `source`, the
   * outcome is recorded for the message's disposition (see {@link Disposition}).
   */
  publish(
    job: Pick<JobRecord, 'tenant_id' | 'job_id' | 'pipeline'>,
    events: readonly JobEvent[],
    log: Logger,
    source?: MessageSource,
  ): void {
    const published = this.events.publish(this.#o.backend.events, job, events, log);
    source?.published?.push(published);
  }

  outbox(source: MessageSource): Pick<JobQueue, 'send'> {
    return source.outbox ?? this.queue;
  }

  send(source: MessageSource, queue: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.outbox(source).send(queue, messages);
  }

  queueOf(stage: string, priority: number): string {
    return this.topology.queueFor(this.pipeline.name, stage, priority);
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
    await this.send(source, this.dlq, [
      {
        body: message.body,
        attributes: deadLetterAttributes(error.code, error.message, source.queue, message),
      },
    ]);
    return delete_('dead-lettered');
  }

  expiry(now: number): number {
    return Math.floor(now / 1000) + (this.#o.retentionS ?? 90 * 86_400);
  }

  iso(): string {
    return iso(this.clock.now());
  }
}

/** What the event derivation needs of a pipeline. */
export function shapeOf(pipeline: Pipeline): StageShape {
  return {
    next: (stage, exit) => nextStage(pipeline, stage, exit)?.name,
    outputs: (stage) => pipeline.stages.find((s) => s.name === stage)?.outputKeys,
  };
}

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
      return 'This worker lost its lease on the stage (another worker took it over, or the lease could not be renewed in time).';
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
