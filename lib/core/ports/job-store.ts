import type {
  Connection,
  DeadLetterRecord,
  Hold,
  JobChange,
  JobQuery,
  JobRecord,
  Page,
  StatusCounts,
  Subscription,
  Topic,
  TransitionResult,
} from './job.js';

/** A slot of a tenant's concurrency pool ({@link JobStore.acquireSlot}). */
export interface SlotRequest {
  readonly tenantId: string;
  readonly pool: string;
  readonly holder: string;
  readonly limit: number;
  /** Epoch ms the slot lasts until, unless extended. */
  readonly expiresAt: number;
  /** Epoch ms: slots that expired before this are free. */
  readonly now: number;
}

/**
 * JobStore: job state with conditional transitions (each one write of the job record, which
 * carries its own history), holds, dead letters and live connections. Everything a tenant owns is
 * addressed by its tenant first: job ids are unique per tenant, and an adapter keys its storage by
 * tenant so access can be scoped to one (IAM `dynamodb:LeadingKeys` in AWS).
 */
export interface JobStore {
  /** Stores a new job; {@link JobExistsError} when the tenant already has a job with its id. */
  createJob(job: JobRecord): Promise<void>;
  getJob(tenantId: string, jobId: string): Promise<JobRecord | undefined>;
  /**
   * Applies `change` atomically if its expectation holds, returning the job as it now is. On a
   * failed expectation returns the current job, unchanged.
   */
  transition(tenantId: string, jobId: string, change: JobChange): Promise<TransitionResult>;
  /**
   * Parks a job on a hold: `change` applies only if the hold is still `active` (and unexpired at
   * `now`), and the hold counts the job in `parked` — one atomic write of both. `hold-inactive`
   * when the hold is gone, releasing or expired (the job is not changed).
   */
  parkOnHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
    now: number,
  ): Promise<TransitionResult | 'hold-inactive'>;
  /** The tenant's jobs, newest first (oldest first with `enteredBefore`), filtered by the query. */
  listJobs(query: JobQuery): Promise<Page<JobRecord>>;
  /** Every tenant that has ever created a job (for the reconciler's sweep), in no set order. */
  listTenants(query?: { readonly limit?: number; readonly cursor?: string }): Promise<Page<string>>;
  /**
   * Adds one to the tenant's counter `name` and answers its new value; the counter is forgotten
   * after `expiresAtS` (epoch seconds). Used for per-tenant rate limits (one counter per window).
   */
  increment(tenantId: string, name: string, expiresAtS: number): Promise<number>;
  /**
   * Takes one of the `limit` slots of the tenant's `pool` for `holder` until `expiresAt` (epoch
   * ms), or extends the slot `holder` already has (whatever the limit). False when `limit` other
   * holders have slots that have not expired by `now`; expired slots are reclaimed. Per-tenant
   * concurrency limits: a pool per stage, a holder per job hop, a slot per running stage.
   */
  acquireSlot(slot: SlotRequest): Promise<boolean>;
  /** Frees `holder`'s slot of the pool (nothing when it has none). */
  releaseSlot(tenantId: string, pool: string, holder: string): Promise<void>;
  /** How many jobs of the tenant are in each status; finished ones only if they finished since `since`. */
  countJobs(query: {
    readonly tenant_id: string;
    readonly pipeline?: string;
    readonly since: string;
  }): Promise<StatusCounts>;

  putHold(hold: Hold): Promise<void>;
  getHold(tenantId: string, holdId: string): Promise<Hold | undefined>;
  /** Makes an active hold `releasing`; false when it is gone. */
  releaseHold(tenantId: string, holdId: string): Promise<boolean>;
  /** Releases a parked job: `change` applies, and the hold stops counting the job — one atomic write. */
  releaseFromHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
  ): Promise<TransitionResult>;
  /** Deletes the hold if it parks no job any more; true when it is gone. */
  deleteHoldIfEmpty(tenantId: string, holdId: string): Promise<boolean>;
  /**
   * The tenant's holds; or, across tenants: every `active` hold (what runners match messages
   * against), or every hold the sweeper must see to (`due`): expired by then, or left `releasing`
   * by a release that did not finish.
   */
  listHolds(
    query: { readonly tenant_id: string } | { readonly active: true } | { readonly due: string },
  ): Promise<readonly Hold[]>;

  /** Idempotent by `dead_letter_id`. */
  recordDeadLetter(record: DeadLetterRecord): Promise<void>;
  listDeadLetters(query: {
    /** A tenant's dead letters; `null` for the messages no tenant could be read from. */
    readonly tenant_id: string | null;
    readonly job_id?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<DeadLetterRecord>>;
  getDeadLetter(tenantId: string | null, deadLetterId: string): Promise<DeadLetterRecord | undefined>;

  putConnection(connection: Connection): Promise<void>;
  getConnection(connectionId: string): Promise<Connection | undefined>;
  /** Removes the connection and all its subscriptions. */
  deleteConnection(connectionId: string): Promise<void>;
  subscribe(subscription: Subscription): Promise<void>;
  unsubscribe(connectionId: string, topic: Topic): Promise<void>;
  subscribers(topic: Topic): Promise<readonly Subscription[]>;
  /** Whether any connection of the tenant is subscribed to anything (its stream, or one of its jobs). */
  watched(tenantId: string): Promise<boolean>;
}
