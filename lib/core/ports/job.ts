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
  /**
   * Epoch seconds after which the store may delete the job: the retention from its creation (or
   * its last requeue), and from its end once it finished.
   */
  readonly expires_at?: number;
  /**
   * The hop at which the job entered its current stage (submit, forward or replay); retries,
   * takeovers, pauses and holds keep it. With the job id and the stage it makes the stage's
   * idempotency key.
   */
  readonly stage_hop: number;
  /**
   * What happened to the job, in order: every stage attempt and every control action. The job's
   * event log and attempt history are derived from it (engine/history.ts), so one write of the
   * job record is also the durable record of its events.
   */
  readonly history: readonly HistoryEntry[];
  /** A digest of the submit request, to tell a repeated submit of the same id from a different one. */
  readonly submit_digest?: string;
}

export type JobPatch = Partial<
  Omit<JobRecord, 'job_id' | 'tenant_id' | 'version' | 'created_at' | 'history'>
>;

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

/**
 * One attempt of one stage, as the job record keeps it. A stage that runs long is claimed (the
 * entry is written open, without an end) and closed when it ends; a short one is written once,
 * when it ends.
 */
export interface RunEntry {
  readonly kind: 'run';
  readonly stage: string;
  readonly hop: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly worker: string;
  /** Epoch ms. */
  readonly started_at: number;
  /** Absent while the attempt runs. */
  readonly ended_at?: number;
  readonly outcome?: AttemptOutcome;
  readonly error?: SerializedError;
  /** The delay before the retry this attempt's failure scheduled. */
  readonly retry_in_ms?: number;
}

/** The durable events a control action (not a stage attempt) adds to a job. */
export const MARK_TYPES = [
  'job.paused',
  'job.resumed',
  'job.held',
  'job.replayed',
  'job.aborted',
  'job.failed',
] as const;
export type MarkType = (typeof MARK_TYPES)[number];

/** A control action on the job: paused, resumed, held, replayed, aborted, failed by a dead letter. */
export interface MarkEntry {
  readonly kind: 'mark';
  readonly type: MarkType;
  readonly stage: string;
  readonly hop: number;
  readonly status: JobStatus;
  /** Epoch ms. */
  readonly at: number;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type HistoryEntry = RunEntry | MarkEntry;

/**
 * A transition: a conditional patch of the job record, with history entries appended or the open
 * run (a claim's entry) replaced — all in the one write.
 */
export interface JobChange {
  readonly expect: Expectation;
  readonly set: JobPatch;
  readonly unset?: readonly UnsettableField[];
  readonly append?: readonly HistoryEntry[];
  /** Replaces the history entry at `index` (it must exist). */
  readonly replace?: { readonly index: number; readonly entry: HistoryEntry };
}

/** A transition either happened (with the job as it now is) or did not (with the job as it is). */
export type TransitionResult =
  | { readonly ok: true; readonly job: JobRecord }
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
 * Applies a change to a job (reference semantics; stores persist the same result). Unset fields
 * become undefined — absent to every reader and to JSON — in the one copy the patch makes.
 */
export function applyChange(
  job: JobRecord,
  change: Pick<JobChange, 'set' | 'unset' | 'append' | 'replace'>,
): JobRecord {
  const next: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
    ...job,
    ...change.set,
    version: job.version + 1,
  };
  for (const field of change.unset ?? []) next[field] = undefined;
  if (change.replace !== undefined || (change.append !== undefined && change.append.length > 0)) {
    const history = [...job.history];
    if (change.replace !== undefined) history[change.replace.index] = change.replace.entry;
    history.push(...(change.append ?? []));
    next.history = history;
  }
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
    stage_hop: job.stage_hop,
    ...(job.retry_at === undefined ? {} : { not_before: job.retry_at }),
  };
}

/**
 * A hold parks every job of a tenant whose tags match all of the selector's pairs, until it is
 * cleared or expires. Parking is conditional on the hold being `active` (in the same write), and
 * counts the job in `parked`; clearing first makes it `releasing` (no job parks on it any more),
 * releases the jobs it parked, and deletes it once `parked` is back to 0.
 */
export interface Hold {
  readonly hold_id: string;
  readonly tenant_id: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly until: string;
  readonly reason?: string;
  readonly created_at: string;
  readonly state: 'active' | 'releasing';
  /** Jobs parked on the hold and not yet released. */
  readonly parked: number;
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
/** Job ids are unique per tenant, so a job's topic names both. */
export const jobTopic = (tenantId: string, jobId: string): Topic => `job:${tenantId}/${jobId}`;
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
  /** The stage the job is at. */
  readonly stage?: string;
  /** Tags the job carries (all of them). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Created at or after / before (ISO-8601). */
  readonly since?: string;
  readonly until?: string;
  /** Job ids beginning with this. */
  readonly idPrefix?: string;
  /** Only jobs parked by this hold (with status HELD). */
  readonly heldBy?: string;
  /**
   * With `status`: only jobs that entered that status before this time (ISO-8601), oldest first —
   * what the reconciler reads. A job keeps the time it entered a status while it stays in it.
   */
  readonly enteredBefore?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** How many of a tenant's jobs are in each status (finished ones since `since`). */
export type StatusCounts = Readonly<Record<JobStatus, number>>;

/** Zero jobs in every status. */
export const noJobs = (): Record<JobStatus, number> => ({
  QUEUED: 0,
  RUNNING: 0,
  RETRY_WAITING: 0,
  PAUSED: 0,
  HELD: 0,
  DONE: 0,
  FAILED: 0,
  ABORTED: 0,
});
