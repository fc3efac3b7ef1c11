import type { JobEnvelope, Params } from './contract.js';
import type { SerializedError } from './errors.js';

export const JOB_STATUSES = [
  'QUEUED',
  'RUNNING',
  'RETRY_WAITING',
  'PAUSED',
  'HELD',
  'DONE',
  'FAILED',
  'ABORTED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['DONE', 'FAILED', 'ABORTED'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

export interface Lease {
  /** Worker that holds the running stage. */
  readonly owner: string;
  /** Epoch ms after which another delivery may claim the stage. */
  readonly expires_at: number;
}

export interface JobError extends SerializedError {
  readonly stage: string;
  readonly attempt?: number;
  /** Set when the job failed through a dead-letter queue. */
  readonly dead_lettered?: boolean;
}

export interface JobProgress {
  readonly percent: number;
  readonly message?: string;
  readonly at: string;
}

/** The stored state of one job; the envelope fields plus status and bookkeeping. */
export interface JobRecord {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly pipeline: string;
  readonly entry_stage: string;
  readonly exit_stage: string;
  /** The stage the job is queued for, running, or ended at. */
  readonly stage: string;
  readonly status: JobStatus;
  readonly hop: number;
  readonly retry_count: number;
  readonly priority: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Params;
  readonly trace_id: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** Incremented by every transition; optimistic-concurrency token for read-modify-write. */
  readonly version: number;
  readonly lease?: Lease;
  /** Set on a RUNNING job by an abort request; the runner cancels the stage. */
  readonly abort_requested?: string;
  /** Set on a RUNNING job by a pause request; the runner stops the stage and parks the job. */
  readonly pause_requested?: boolean;
  /** For RETRY_WAITING: when the next attempt is due. */
  readonly retry_at?: string;
  readonly error?: JobError;
  readonly progress?: JobProgress;
  readonly held_by?: string;
  readonly finished_at?: string;
  /** Epoch seconds after which the store may delete a finished job. */
  readonly expires_at?: number;
}

export type JobPatch = Partial<Omit<JobRecord, 'job_id' | 'tenant_id' | 'version' | 'created_at'>>;

export const UNSETTABLE_FIELDS = [
  'lease',
  'abort_requested',
  'pause_requested',
  'retry_at',
  'error',
  'progress',
  'held_by',
  'finished_at',
  'expires_at',
] as const;
export type UnsettableField = (typeof UNSETTABLE_FIELDS)[number];

/** Conditions a transition requires; all given conditions must hold. */
export interface Expectation {
  readonly status?: readonly JobStatus[];
  readonly hop?: number;
  readonly stage?: string;
  readonly version?: number;
  /** The lease is held by this owner. */
  readonly leaseOwner?: string;
  /** The lease expired at or before this epoch-ms instant. */
  readonly leaseExpiredBy?: number;
  /** Neither an abort nor a pause has been requested. */
  readonly noControl?: boolean;
}

export const EVENT_TYPES = [
  'job.created',
  'stage.started',
  'stage.progress',
  'stage.completed',
  'stage.failed',
  'stage.skipped',
  'job.done',
  'job.failed',
  'job.aborted',
  'job.paused',
  'job.resumed',
  'job.held',
  'job.replayed',
] as const;
export type JobEventType = (typeof EVENT_TYPES)[number];

/** Events that are stored in the job's event log; `stage.progress` is live-only. */
export const isDurableEvent = (type: JobEventType): boolean => type !== 'stage.progress';

export interface JobEvent {
  readonly event_id: string;
  readonly type: JobEventType;
  readonly job_id: string;
  readonly tenant_id: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly status: JobStatus;
  readonly hop: number;
  readonly attempt?: number;
  readonly time: string;
  readonly trace_id?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type AttemptOutcome =
  | 'completed'
  | 'failed'
  | 'retrying'
  | 'crashed'
  | 'aborted'
  | 'paused'
  | 'interrupted';

/** One run of one stage for one job; the attempt history is append-only. */
export interface AttemptRecord {
  readonly job_id: string;
  readonly stage: string;
  readonly hop: number;
  readonly attempt: number;
  readonly worker: string;
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_ms: number;
  readonly outcome: AttemptOutcome;
  readonly error?: SerializedError;
}

/** A transition: conditional patch, plus events and an attempt written in the same transaction. */
export interface JobChange {
  readonly expect: Expectation;
  readonly set: JobPatch;
  readonly unset?: readonly UnsettableField[];
  readonly events?: readonly JobEvent[];
  readonly attempt?: AttemptRecord;
}

/**
 * A transition either happened (its result is `applyChange(current, change)`, which a caller that
 * read the job can compute) or did not, in which case the store returns the job as it is.
 */
export type TransitionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly current: JobRecord | undefined };

/** Evaluates an expectation against a job (the reference semantics every JobStore implements). */
export function meetsExpectation(job: JobRecord, expect: Expectation): boolean {
  if (expect.status !== undefined && !expect.status.includes(job.status)) return false;
  if (expect.hop !== undefined && job.hop !== expect.hop) return false;
  if (expect.stage !== undefined && job.stage !== expect.stage) return false;
  if (expect.version !== undefined && job.version !== expect.version) return false;
  if (expect.leaseOwner !== undefined && job.lease?.owner !== expect.leaseOwner) return false;
  if (
    expect.leaseExpiredBy !== undefined &&
    job.lease !== undefined &&
    job.lease.expires_at > expect.leaseExpiredBy
  ) {
    return false;
  }
  if (expect.noControl === true && (job.abort_requested !== undefined || job.pause_requested === true)) {
    return false;
  }
  return true;
}

/**
 * Applies a change's patch to a job (reference semantics; stores persist the same result). Unset
 * fields become undefined — absent to every reader and to JSON — in the one copy the patch makes.
 */
export function applyChange(job: JobRecord, change: Pick<JobChange, 'set' | 'unset'>): JobRecord {
  const next: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
    ...job,
    ...change.set,
    version: job.version + 1,
  };
  for (const field of change.unset ?? []) next[field] = undefined;
  return next;
}

/** Rebuilds the envelope a job's current state implies (used to re-send a lost message). */
export function envelopeOf(job: JobRecord): JobEnvelope {
  return {
    job_id: job.job_id,
    pipeline: job.pipeline,
    entry_stage: job.entry_stage,
    exit_stage: job.exit_stage,
    stage: job.stage,
    hop: job.hop,
    retry_count: job.retry_count,
    priority: job.priority,
    tenant_id: job.tenant_id,
    params: job.params,
    tags: { ...job.tags },
    created_at: job.created_at,
    trace_id: job.trace_id,
    ...(job.retry_at === undefined ? {} : { not_before: job.retry_at }),
  };
}

/** A hold parks every job of a tenant whose tags match all of the selector's pairs, until it expires. */
export interface Hold {
  readonly hold_id: string;
  readonly tenant_id: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly until: string;
  readonly reason?: string;
  readonly created_at: string;
}

export function holdMatches(hold: Hold, tenantId: string, tags: Readonly<Record<string, string>>): boolean {
  if (hold.tenant_id !== tenantId) return false;
  return Object.entries(hold.selector).every(([key, value]) => tags[key] === value);
}

/** A message that reached a dead-letter queue, kept for inspection and replay. */
export interface DeadLetterRecord {
  readonly dead_letter_id: string;
  readonly queue: string;
  readonly pipeline?: string;
  readonly stage?: string;
  readonly job_id?: string;
  readonly tenant_id?: string;
  readonly code: string;
  readonly reason: string;
  readonly body: string;
  readonly received_at: string;
}

/** A live (WebSocket) connection of a tenant. */
export interface Connection {
  readonly connection_id: string;
  readonly tenant_id: string;
  readonly user_id?: string;
  readonly connected_at: string;
  /** Epoch seconds after which the store may delete a forgotten connection. */
  readonly expires_at?: number;
}

/** A topic a connection listens to: one job, or every job of its tenant. */
export type Topic = `job:${string}` | `tenant:${string}`;
export const jobTopic = (jobId: string): Topic => `job:${jobId}`;
export const tenantTopic = (tenantId: string): Topic => `tenant:${tenantId}`;

/** A connection listening to a topic; the tenant is stored so delivery can check it again. */
export interface Subscription {
  readonly connection_id: string;
  readonly topic: Topic;
  readonly tenant_id: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque token for the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface JobQuery {
  readonly tenant_id: string;
  readonly status?: JobStatus;
  readonly pipeline?: string;
  readonly limit?: number;
  readonly cursor?: string;
}
