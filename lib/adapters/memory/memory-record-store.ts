import type { Page, RecordCondition, RecordStore, StoredRecord } from '../../core/ports/index.js';
import { assertRecordAddress, RecordConflictError } from '../../core/ports/index.js';

const scoped = (tenantId: string, collection: string): string => `${tenantId}\u0000${collection}`;

/** Records in process memory, with the conditional semantics of the DynamoDB record store. */
export class MemoryRecordStore implements RecordStore {
  readonly #collections = new Map<string, Map<string, StoredRecord>>();

  /** Every record, as plain data (`stagecoach dev --state`). */
  snapshot(): Record<string, StoredRecord[]> {
    return Object.fromEntries([...this.#collections].map(([name, records]) => [name, [...records.values()]]));
  }

  /** Replaces every record with a snapshot's. */
  restore(snapshot: Readonly<Record<string, readonly StoredRecord[]>>): void {
    this.#collections.clear();
    for (const [name, records] of Object.entries(snapshot)) {
      this.#collections.set(name, new Map(records.map((r) => [r.id, r])));
    }
  }

  async getRecord(tenantId: string, collection: string, id: string): Promise<StoredRecord | undefined> {
    assertRecordAddress(tenantId, collection, id);
    return this.#collections.get(scoped(tenantId, collection))?.get(id);
  }

  async putRecord(
    tenantId: string,
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord> {
    assertRecordAddress(tenantId, collection, id);
    let records = this.#collections.get(scoped(tenantId, collection));
    if (records === undefined) {
      records = new Map();
      this.#collections.set(scoped(tenantId, collection), records);
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
    tenantId: string,
    collection: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<StoredRecord>> {
    assertRecordAddress(tenantId, collection, 'x');
    const all = [...(this.#collections.get(scoped(tenantId, collection))?.values() ?? [])].sort((a, b) =>
      a.id.localeCompare(b.id),
    );
    const start = query.cursor === undefined ? 0 : all.findIndex((r) => r.id > (query.cursor ?? ''));
    const from = start < 0 ? all.length : start;
    const items = all.slice(from, from + Math.min(1_000, Math.max(1, query.limit ?? 100)));
    const last = items.at(-1);
    return from + items.length < all.length && last !== undefined ? { items, cursor: last.id } : { items };
  }

  async deleteRecord(tenantId: string, collection: string, id: string): Promise<boolean> {
    assertRecordAddress(tenantId, collection, id);
    return this.#collections.get(scoped(tenantId, collection))?.delete(id) ?? false;
  }
}
