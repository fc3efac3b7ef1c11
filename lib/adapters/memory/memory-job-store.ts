import type { JobStore, SlotRequest } from '../../core/ports/index.js';
import {
  applyChange,
  type Connection,
  type DeadLetterRecord,
  type Hold,
  type JobChange,
  JobExistsError,
  type JobQuery,
  type JobRecord,
  meetsExpectation,
  noJobs,
  type Page,
  type StatusCounts,
  type Subscription,
  type Topic,
  type TransitionResult,
  ValidationError,
} from '../../core/ports/index.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1_000;

/**
 * Listings page by offset, in a cursor bound to the listing's owner: a cursor this store did not
 * give out, or one of another tenant's listing, is the caller's mistake.
 */
function offsetOf(cursor: string | undefined, owner: string): number {
  if (cursor === undefined || cursor === '') return 0;
  const bad = () =>
    new ValidationError(`The cursor '${cursor.slice(0, 40)}' is not one this API gave out.`, {
      code: 'BAD_CURSOR',
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    typeof decoded !== 'object' ||
    decoded === null ||
    !('o' in decoded) ||
    !('w' in decoded) ||
    decoded.w !== owner ||
    typeof decoded.o !== 'number' ||
    !Number.isInteger(decoded.o) ||
    decoded.o < 0
  ) {
    throw bad();
  }
  return decoded.o;
}

const cursorOf = (offset: number, owner: string): string =>
  Buffer.from(JSON.stringify({ o: offset, w: owner })).toString('base64url');

function page<T>(
  items: readonly T[],
  cursor: string | undefined,
  limit: number | undefined,
  owner: string,
): Page<T> {
  const start = offsetOf(cursor, owner);
  const size = Math.min(MAX_PAGE, Math.max(1, limit ?? DEFAULT_PAGE));
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length ? { items: slice, cursor: cursorOf(end, owner) } : { items: slice };
}

const key = (tenantId: string, id: string): string => `${tenantId}\u0000${id}`;

/** Whether a job matches a listing's filters (the same semantics every store implements). */
export function matchesQuery(job: JobRecord, query: JobQuery): boolean {
  return (
    job.tenant_id === query.tenant_id &&
    (query.status === undefined || job.status === query.status) &&
    (query.pipeline === undefined || job.pipeline === query.pipeline) &&
    (query.stage === undefined || job.stage === query.stage) &&
    (query.heldBy === undefined || (job.status === 'HELD' && job.held_by === query.heldBy)) &&
    (query.idPrefix === undefined || job.job_id.startsWith(query.idPrefix)) &&
    (query.since === undefined || job.created_at >= query.since) &&
    (query.until === undefined || job.created_at < query.until) &&
    Object.entries(query.tags ?? {}).every(([k, v]) => job.tags[k] === v)
  );
}

/** What {@link MemoryJobStore.snapshot} gives and {@link MemoryJobStore.restore} takes. */
export interface MemoryJobStoreSnapshot {
  readonly jobs: readonly JobRecord[];
  readonly holds: readonly Hold[];
  readonly dead_letters: readonly DeadLetterRecord[];
  readonly entered: Readonly<Record<string, string>>;
  readonly tenants: readonly string[];
  readonly counters: Readonly<Record<string, { value: number; expiresAtS: number }>>;
}

/**
 * Job state in process memory, with the same conditional semantics as the DynamoDB store: a
 * transition applies its patch and history entries together, or nothing; parking on a hold and
 * releasing from one change the job and the hold's count together. Records are immutable values
 * (every transition stores a new object), so readers never see a half-applied change.
 */
export class MemoryJobStore implements JobStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #holds = new Map<string, Hold>();
  readonly #deadLetters = new Map<string, DeadLetterRecord>();
  readonly #connections = new Map<string, Connection>();
  readonly #subscribers = new Map<Topic, Map<string, Subscription>>();
  readonly #topicsOf = new Map<string, Set<Topic>>();
  /** When each job entered its current status (the by-status index's sort key in DynamoDB). */
  readonly #entered = new Map<string, string>();
  readonly #tenants = new Set<string>();
  readonly #counters = new Map<string, { value: number; expiresAtS: number }>();
  /** Concurrency slots (not in snapshots: they belong to running stages, which a restart ends). */
  readonly #slots = new Map<string, Map<string, number>>();

  /**
   * The durable part of the store (jobs, holds, dead letters, tenants, counters) as plain data,
   * to keep it across restarts (`stagecoach dev --state`). Connections are not kept: a restart
   * closes every socket.
   */
  snapshot(): MemoryJobStoreSnapshot {
    return {
      jobs: [...this.#jobs.values()],
      holds: [...this.#holds.values()],
      dead_letters: [...this.#deadLetters.values()],
      entered: Object.fromEntries(this.#entered),
      tenants: [...this.#tenants],
      counters: Object.fromEntries(this.#counters),
    };
  }

  /** Replaces the durable part of the store with a snapshot's. */
  restore(snapshot: MemoryJobStoreSnapshot): void {
    this.#jobs.clear();
    this.#holds.clear();
    this.#deadLetters.clear();
    this.#entered.clear();
    this.#tenants.clear();
    this.#counters.clear();
    for (const job of snapshot.jobs) this.#jobs.set(key(job.tenant_id, job.job_id), job);
    for (const hold of snapshot.holds) this.#holds.set(key(hold.tenant_id, hold.hold_id), hold);
    for (const letter of snapshot.dead_letters) {
      this.#deadLetters.set(key(letter.tenant_id ?? '', letter.dead_letter_id), letter);
    }
    for (const [id, at] of Object.entries(snapshot.entered)) this.#entered.set(id, at);
    for (const tenant of snapshot.tenants) this.#tenants.add(tenant);
    for (const [id, counter] of Object.entries(snapshot.counters)) this.#counters.set(id, counter);
  }

  async createJob(job: JobRecord): Promise<void> {
    const id = key(job.tenant_id, job.job_id);
    if (this.#jobs.has(id)) throw new JobExistsError(job.job_id);
    this.#jobs.set(id, job);
    this.#entered.set(id, job.updated_at);
    this.#tenants.add(job.tenant_id);
  }

  async getJob(tenantId: string, jobId: string): Promise<JobRecord | undefined> {
    return this.#jobs.get(key(tenantId, jobId));
  }

  async transition(tenantId: string, jobId: string, change: JobChange): Promise<TransitionResult> {
    const id = key(tenantId, jobId);
    const job = this.#jobs.get(id);
    if (job === undefined || !meetsExpectation(job, change.expect)) return { ok: false, current: job };
    if (change.replace !== undefined && change.replace.index >= job.history.length) {
      return { ok: false, current: job };
    }
    const next = applyChange(job, change);
    this.#jobs.set(id, next);
    if (next.status !== job.status) this.#entered.set(id, next.updated_at);
    return { ok: true, job: next };
  }

  async parkOnHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
    now: number,
  ): Promise<TransitionResult | 'hold-inactive'> {
    const holdKey = key(tenantId, holdId);
    const hold = this.#holds.get(holdKey);
    if (hold === undefined || hold.state !== 'active' || Date.parse(hold.until) <= now)
      return 'hold-inactive';
    const result = await this.transition(tenantId, jobId, change);
    if (result.ok) this.#holds.set(holdKey, { ...hold, parked: hold.parked + 1 });
    return result;
  }

  async releaseFromHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
  ): Promise<TransitionResult> {
    const result = await this.transition(tenantId, jobId, change);
    const holdKey = key(tenantId, holdId);
    const hold = this.#holds.get(holdKey);
    if (result.ok && hold !== undefined)
      this.#holds.set(holdKey, { ...hold, parked: Math.max(0, hold.parked - 1) });
    return result;
  }

  async listJobs(query: JobQuery): Promise<Page<JobRecord>> {
    const { enteredBefore, ...rest } = query;
    if (enteredBefore !== undefined && query.status !== undefined) {
      const entered = (job: JobRecord): string => this.#entered.get(key(job.tenant_id, job.job_id)) ?? '';
      const matching = [...this.#jobs.values()]
        .filter((job) => matchesQuery(job, rest) && entered(job) < enteredBefore)
        .sort((a, b) => entered(a).localeCompare(entered(b)) || a.job_id.localeCompare(b.job_id));
      return page(matching, query.cursor, query.limit, `jobs:${query.tenant_id}:entered`);
    }
    const matching = [...this.#jobs.values()]
      .filter((job) => matchesQuery(job, query))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.job_id.localeCompare(a.job_id));
    return page(matching, query.cursor, query.limit, `jobs:${query.tenant_id}`);
  }

  async listTenants(
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<string>> {
    return page([...this.#tenants].sort(), query.cursor, query.limit, 'tenants');
  }

  async increment(tenantId: string, name: string, expiresAtS: number): Promise<number> {
    // Forgets counters that expired well before this one (time as the caller's clock tells it).
    for (const [k, c] of this.#counters) if (c.expiresAtS < expiresAtS - 120) this.#counters.delete(k);
    const k = key(tenantId, name);
    const value = (this.#counters.get(k)?.value ?? 0) + 1;
    this.#counters.set(k, { value, expiresAtS });
    return value;
  }

  async acquireSlot(slot: SlotRequest): Promise<boolean> {
    const k = key(slot.tenantId, slot.pool);
    const holders = this.#slots.get(k) ?? new Map<string, number>();
    if (!holders.has(slot.holder)) {
      for (const [holder, until] of holders) if (until < slot.now) holders.delete(holder);
      if (holders.size >= slot.limit) return false;
    }
    holders.set(slot.holder, slot.expiresAt);
    this.#slots.set(k, holders);
    return true;
  }

  async releaseSlot(tenantId: string, pool: string, holder: string): Promise<void> {
    const k = key(tenantId, pool);
    const holders = this.#slots.get(k);
    holders?.delete(holder);
    if (holders?.size === 0) this.#slots.delete(k);
  }

  async countJobs(query: {
    readonly tenant_id: string;
    readonly pipeline?: string;
    readonly since: string;
  }): Promise<StatusCounts> {
    const counts = noJobs();
    for (const job of this.#jobs.values()) {
      if (job.tenant_id !== query.tenant_id) continue;
      if (query.pipeline !== undefined && job.pipeline !== query.pipeline) continue;
      if (job.finished_at !== undefined && job.finished_at < query.since) continue;
      counts[job.status] += 1;
    }
    return counts;
  }

  async putHold(hold: Hold): Promise<void> {
    this.#holds.set(key(hold.tenant_id, hold.hold_id), hold);
  }

  async getHold(tenantId: string, holdId: string): Promise<Hold | undefined> {
    return this.#holds.get(key(tenantId, holdId));
  }

  async releaseHold(tenantId: string, holdId: string): Promise<boolean> {
    const hold = this.#holds.get(key(tenantId, holdId));
    if (hold === undefined) return false;
    this.#holds.set(key(tenantId, holdId), { ...hold, state: 'releasing' });
    return true;
  }

  async deleteHoldIfEmpty(tenantId: string, holdId: string): Promise<boolean> {
    const hold = this.#holds.get(key(tenantId, holdId));
    if (hold === undefined) return true;
    if (hold.parked > 0) return false;
    this.#holds.delete(key(tenantId, holdId));
    return true;
  }

  async listHolds(
    query: { readonly tenant_id: string } | { readonly active: true } | { readonly due: string },
  ): Promise<readonly Hold[]> {
    const all = [...this.#holds.values()];
    if ('tenant_id' in query) return all.filter((h) => h.tenant_id === query.tenant_id);
    if ('active' in query) return all.filter((h) => h.state === 'active');
    return all.filter((h) => h.state === 'releasing' || h.until <= query.due);
  }

  async recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    const id = key(record.tenant_id ?? '', record.dead_letter_id);
    if (!this.#deadLetters.has(id)) this.#deadLetters.set(id, record);
  }

  async listDeadLetters(query: {
    readonly tenant_id: string | null;
    readonly job_id?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<DeadLetterRecord>> {
    const all = [...this.#deadLetters.values()]
      .filter((r) => (r.tenant_id ?? null) === query.tenant_id)
      .filter((r) => query.job_id === undefined || r.job_id === query.job_id)
      .sort((a, b) => b.received_at.localeCompare(a.received_at));
    return page(all, query.cursor, query.limit, `dlq:${query.tenant_id ?? ''}`);
  }

  async getDeadLetter(tenantId: string | null, deadLetterId: string): Promise<DeadLetterRecord | undefined> {
    return this.#deadLetters.get(key(tenantId ?? '', deadLetterId));
  }

  async putConnection(connection: Connection): Promise<void> {
    this.#connections.set(connection.connection_id, connection);
  }

  async getConnection(connectionId: string): Promise<Connection | undefined> {
    return this.#connections.get(connectionId);
  }

  async deleteConnection(connectionId: string): Promise<void> {
    this.#connections.delete(connectionId);
    for (const topic of this.#topicsOf.get(connectionId) ?? [])
      this.#subscribers.get(topic)?.delete(connectionId);
    this.#topicsOf.delete(connectionId);
  }

  async subscribe(subscription: Subscription): Promise<void> {
    const { connection_id: connectionId, topic } = subscription;
    let subs = this.#subscribers.get(topic);
    if (subs === undefined) {
      subs = new Map();
      this.#subscribers.set(topic, subs);
    }
    subs.set(connectionId, subscription);
    let topics = this.#topicsOf.get(connectionId);
    if (topics === undefined) {
      topics = new Set();
      this.#topicsOf.set(connectionId, topics);
    }
    topics.add(topic);
  }

  async unsubscribe(connectionId: string, topic: Topic): Promise<void> {
    this.#subscribers.get(topic)?.delete(connectionId);
    this.#topicsOf.get(connectionId)?.delete(topic);
  }

  async subscribers(topic: Topic): Promise<readonly Subscription[]> {
    return [...(this.#subscribers.get(topic)?.values() ?? [])];
  }

  async watched(tenantId: string): Promise<boolean> {
    for (const subs of this.#subscribers.values()) {
      for (const sub of subs.values()) if (sub.tenant_id === tenantId) return true;
    }
    return false;
  }
}
