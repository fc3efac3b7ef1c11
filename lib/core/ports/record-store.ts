import type { Page } from './job.js';

/**
 * RecordStore: a service's own small records (analyses, results summaries), versioned, with
 * conditional writes. Large data belongs in the BlobStore.
 */

export interface StoredRecord {
  readonly id: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** 1 for a new record; each put increments it. */
  readonly version: number;
  readonly updated_at: string;
}

/** `absent`: the record must not exist; a number: it must be at that version. */
export type RecordCondition = 'absent' | { readonly version: number };

/**
 * A tenant's records: every collection belongs to one tenant, and an adapter keys its storage by
 * the tenant first (so access can be scoped to it).
 */
export interface RecordStore {
  getRecord(tenantId: string, collection: string, id: string): Promise<StoredRecord | undefined>;
  /** Writes the record; {@link RecordConflictError} when the condition does not hold. */
  putRecord(
    tenantId: string,
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord>;
  /** The collection's records, by id. */
  listRecords(
    tenantId: string,
    collection: string,
    query?: { readonly limit?: number; readonly cursor?: string },
  ): Promise<Page<StoredRecord>>;
  deleteRecord(tenantId: string, collection: string, id: string): Promise<boolean>;
}

/** One tenant's records: what a stage gets as `ctx.records` (it cannot name another tenant). */
export interface TenantRecords {
  readonly tenantId: string;
  getRecord(collection: string, id: string): Promise<StoredRecord | undefined>;
  putRecord(
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord>;
  listRecords(
    collection: string,
    query?: { readonly limit?: number; readonly cursor?: string },
  ): Promise<Page<StoredRecord>>;
  deleteRecord(collection: string, id: string): Promise<boolean>;
}

/** Binds a record store to one tenant. */
export function tenantRecords(store: RecordStore, tenantId: string): TenantRecords {
  return {
    tenantId,
    getRecord: (collection, id) => store.getRecord(tenantId, collection, id),
    putRecord: (collection, id, data, condition) =>
      store.putRecord(tenantId, collection, id, data, condition),
    listRecords: (collection, query) => store.listRecords(tenantId, collection, query),
    deleteRecord: (collection, id) => store.deleteRecord(tenantId, collection, id),
  };
}
