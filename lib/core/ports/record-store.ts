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

export interface RecordStore {
  getRecord(collection: string, id: string): Promise<StoredRecord | undefined>;
  /** Writes the record; {@link RecordConflictError} when the condition does not hold. */
  putRecord(
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord>;
  /** The collection's records, by id. */
  listRecords(
    collection: string,
    query?: { readonly limit?: number; readonly cursor?: string },
  ): Promise<Page<StoredRecord>>;
  deleteRecord(collection: string, id: string): Promise<boolean>;
}
