import type { Page, RecordCondition, RecordStore, StoredRecord } from '../../core/ports/index.js';
import { assertRecordAddress, RecordConflictError } from '../../core/ports/index.js';

/** Records in process memory, with the conditional semantics of the DynamoDB record store. */
export class MemoryRecordStore implements RecordStore {
  readonly #collections = new Map<string, Map<string, StoredRecord>>();

  async getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    assertRecordAddress(collection, id);
    return this.#collections.get(collection)?.get(id);
  }

  async putRecord(
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord> {
    assertRecordAddress(collection, id);
    let records = this.#collections.get(collection);
    if (records === undefined) {
      records = new Map();
      this.#collections.set(collection, records);
    }
    const current = records.get(id);
    if (condition === 'absent' && current !== undefined)
      throw new RecordConflictError(collection, id, 'absent');
    if (typeof condition === 'object' && current?.version !== condition.version) {
      throw new RecordConflictError(collection, id, `version ${condition.version}`);
    }
    const record: StoredRecord = {
      id,
      // A JSON copy: readers never share the caller's objects, as with a remote store.
      data: JSON.parse(JSON.stringify(data)),
      version: (current?.version ?? 0) + 1,
      updated_at: new Date().toISOString(),
    };
    records.set(id, record);
    return record;
  }

  async listRecords(
    collection: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<StoredRecord>> {
    assertRecordAddress(collection, 'x');
    const all = [...(this.#collections.get(collection)?.values() ?? [])].sort((a, b) =>
      a.id.localeCompare(b.id),
    );
    const start = query.cursor === undefined ? 0 : all.findIndex((r) => r.id > (query.cursor ?? ''));
    const from = start < 0 ? all.length : start;
    const items = all.slice(from, from + Math.min(1_000, Math.max(1, query.limit ?? 100)));
    const last = items.at(-1);
    return from + items.length < all.length && last !== undefined ? { items, cursor: last.id } : { items };
  }

  async deleteRecord(collection: string, id: string): Promise<boolean> {
    assertRecordAddress(collection, id);
    return this.#collections.get(collection)?.delete(id) ?? false;
  }
}
