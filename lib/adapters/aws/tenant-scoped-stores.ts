import type {
  Backend,
  BlobBody,
  BlobStore,
  Connection,
  DeadLetterRecord,
  Hold,
  JobChange,
  JobQuery,
  JobRecord,
  JobStore,
  PresignOptions,
  RecordCondition,
  RecordStore,
  SlotRequest,
  Subscription,
  Topic,
} from '../../core/ports/index.js';
import { ConfigError } from '../../core/ports/index.js';
import type { TenantScope } from './tenant-scope.js';

/** The ports of one tenant's session: everything they reach is that tenant's (IAM sees to it). */
export interface TenantPorts {
  readonly store: JobStore;
  readonly records: RecordStore;
  readonly blobs: BlobStore;
}

/**
 * Whose session each call uses: the scope's current tenant. The API's scope is the request's
 * (AsyncLocalStorage); a stage run's is fixed to its job's tenant ({@link fixedTenant}).
 */
export interface TenantRoutingOptions<P = TenantPorts> {
  readonly scope: Pick<TenantScope, 'current'>;
  /** The tenant's ports, on its session's credentials (cached by the caller). */
  readonly portsOf: (tenantId: string) => Promise<P>;
}

/**
 * A scope that is always one tenant's: a stage run acts for its job's tenant (named by the
 * verified envelope) for everything it awaits, so no AsyncLocalStorage is needed to carry it.
 */
export function fixedTenant(tenantId: string): Pick<TenantScope, 'current'> {
  return { current: () => tenantId };
}

/** The current request's tenant's ports; outside a request, a fault that says how to fix it. */
async function portsOfRequest<P>(o: TenantRoutingOptions<P>, operation: string): Promise<P> {
  const tenant = o.scope.current();
  if (tenant === undefined) {
    throw new ConfigError('Tenant-scoped storage', [
      `${operation} reaches a tenant's data outside a tenant's request; run it inside TenantScope.run(tenantId, ...) (the HTTP handler does so for the authenticated caller)`,
    ]);
  }
  return o.portsOf(tenant);
}

/**
 * The API's JobStore: what a tenant owns (its jobs, holds, counters, dead letters, listings) goes
 * through the current request's tenant session; what no tenant owns — the tenant registry's walk,
 * every tenant's holds, the dead letters of no tenant, and the WebSocket connections, which live
 * in the connections table the tenant role does not reach — stays on the function's own store.
 */
export class TenantScopedJobStore implements JobStore {
  readonly #base: JobStore;
  readonly #o: TenantRoutingOptions<Pick<TenantPorts, 'store'>>;

  constructor(base: JobStore, options: TenantRoutingOptions<Pick<TenantPorts, 'store'>>) {
    this.#base = base;
    this.#o = options;
  }

  async #tenant(operation: string): Promise<JobStore> {
    return (await portsOfRequest(this.#o, operation)).store;
  }

  async createJob(job: JobRecord): Promise<void> {
    return (await this.#tenant('createJob')).createJob(job);
  }
  async getJob(tenantId: string, jobId: string) {
    return (await this.#tenant('getJob')).getJob(tenantId, jobId);
  }
  async transition(tenantId: string, jobId: string, change: JobChange) {
    return (await this.#tenant('transition')).transition(tenantId, jobId, change);
  }
  async parkOnHold(tenantId: string, jobId: string, change: JobChange, holdId: string, now: number) {
    return (await this.#tenant('parkOnHold')).parkOnHold(tenantId, jobId, change, holdId, now);
  }
  async listJobs(query: JobQuery) {
    return (await this.#tenant('listJobs')).listJobs(query);
  }
  listTenants(query?: { readonly limit?: number; readonly cursor?: string }) {
    return this.#base.listTenants(query);
  }
  async increment(tenantId: string, name: string, expiresAtS: number) {
    return (await this.#tenant('increment')).increment(tenantId, name, expiresAtS);
  }
  async acquireSlot(slot: SlotRequest) {
    return (await this.#tenant('acquireSlot')).acquireSlot(slot);
  }
  async releaseSlot(tenantId: string, pool: string, holder: string) {
    return (await this.#tenant('releaseSlot')).releaseSlot(tenantId, pool, holder);
  }
  async countJobs(query: { readonly tenant_id: string; readonly pipeline?: string; readonly since: string }) {
    return (await this.#tenant('countJobs')).countJobs(query);
  }

  async putHold(hold: Hold): Promise<void> {
    return (await this.#tenant('putHold')).putHold(hold);
  }
  async getHold(tenantId: string, holdId: string) {
    return (await this.#tenant('getHold')).getHold(tenantId, holdId);
  }
  async releaseHold(tenantId: string, holdId: string) {
    return (await this.#tenant('releaseHold')).releaseHold(tenantId, holdId);
  }
  async releaseFromHold(tenantId: string, jobId: string, change: JobChange, holdId: string) {
    return (await this.#tenant('releaseFromHold')).releaseFromHold(tenantId, jobId, change, holdId);
  }
  async deleteHoldIfEmpty(tenantId: string, holdId: string) {
    return (await this.#tenant('deleteHoldIfEmpty')).deleteHoldIfEmpty(tenantId, holdId);
  }
  async listHolds(
    query: { readonly tenant_id: string } | { readonly active: true } | { readonly due: string },
  ) {
    if ('tenant_id' in query) return (await this.#tenant('listHolds')).listHolds(query);
    return this.#base.listHolds(query);
  }

  async recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    if (record.tenant_id === undefined) return this.#base.recordDeadLetter(record);
    return (await this.#tenant('recordDeadLetter')).recordDeadLetter(record);
  }
  async listDeadLetters(query: {
    readonly tenant_id: string | null;
    readonly job_id?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }) {
    if (query.tenant_id === null) return this.#base.listDeadLetters(query);
    return (await this.#tenant('listDeadLetters')).listDeadLetters(query);
  }
  async getDeadLetter(tenantId: string | null, deadLetterId: string) {
    if (tenantId === null) return this.#base.getDeadLetter(tenantId, deadLetterId);
    return (await this.#tenant('getDeadLetter')).getDeadLetter(tenantId, deadLetterId);
  }

  putConnection(connection: Connection) {
    return this.#base.putConnection(connection);
  }
  getConnection(connectionId: string) {
    return this.#base.getConnection(connectionId);
  }
  deleteConnection(connectionId: string) {
    return this.#base.deleteConnection(connectionId);
  }
  subscribe(subscription: Subscription) {
    return this.#base.subscribe(subscription);
  }
  unsubscribe(connectionId: string, topic: Topic) {
    return this.#base.unsubscribe(connectionId, topic);
  }
  subscribers(topic: Topic) {
    return this.#base.subscribers(topic);
  }
  watched(tenantId: string) {
    return this.#base.watched(tenantId);
  }
}

/** A service's records: every collection is a tenant's, so every call goes through its session. */
export class TenantScopedRecordStore implements RecordStore {
  readonly #o: TenantRoutingOptions<Pick<TenantPorts, 'records'>>;

  constructor(options: TenantRoutingOptions<Pick<TenantPorts, 'records'>>) {
    this.#o = options;
  }

  async #tenant(operation: string): Promise<RecordStore> {
    return (await portsOfRequest(this.#o, operation)).records;
  }

  async getRecord(tenantId: string, collection: string, id: string) {
    return (await this.#tenant('getRecord')).getRecord(tenantId, collection, id);
  }
  async putRecord(
    tenantId: string,
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ) {
    return (await this.#tenant('putRecord')).putRecord(tenantId, collection, id, data, condition);
  }
  async listRecords(
    tenantId: string,
    collection: string,
    query?: { readonly limit?: number; readonly cursor?: string },
  ) {
    return (await this.#tenant('listRecords')).listRecords(tenantId, collection, query);
  }
  async deleteRecord(tenantId: string, collection: string, id: string) {
    return (await this.#tenant('deleteRecord')).deleteRecord(tenantId, collection, id);
  }
}

/**
 * The bucket, through the current tenant's session: the API reaches objects only through
 * `tenantBlobs()` (keys under `tenants/<tenant>/`), and a URL presigned here is signed with the
 * tenant's credentials, so it opens nothing outside the tenant's prefix either.
 */
export class TenantScopedBlobStore implements BlobStore {
  readonly #o: TenantRoutingOptions<Pick<TenantPorts, 'blobs'>>;

  constructor(options: TenantRoutingOptions<Pick<TenantPorts, 'blobs'>>) {
    this.#o = options;
  }

  async #tenant(operation: string): Promise<BlobStore> {
    return (await portsOfRequest(this.#o, operation)).blobs;
  }

  async put(key: string, body: BlobBody, options?: { readonly contentType?: string }) {
    return (await this.#tenant('put')).put(key, body, options);
  }
  async get(key: string) {
    return (await this.#tenant('get')).get(key);
  }
  async getStream(key: string) {
    return (await this.#tenant('getStream')).getStream(key);
  }
  async head(key: string) {
    return (await this.#tenant('head')).head(key);
  }
  async delete(key: string) {
    return (await this.#tenant('delete')).delete(key);
  }
  async list(prefix: string) {
    return (await this.#tenant('list')).list(prefix);
  }
  async presign(key: string, options: PresignOptions) {
    return (await this.#tenant('presign')).presign(key, options);
  }
}

/** The backend with the tenant's data on the request's tenant session; queue, bus and live channel as given. */
export function tenantScopedBackend(base: Backend, options: TenantRoutingOptions): Backend {
  return {
    ...base,
    store: new TenantScopedJobStore(base.store, options),
    records: new TenantScopedRecordStore(options),
    blobs: new TenantScopedBlobStore(options),
  };
}
