import type { z } from 'zod';
import type { TenantRecords } from '../../core/ports/index.js';
import { NotFoundError, RecordConflictError, StagecoachError } from '../../core/ports/index.js';
import { analysesCollection, resultsCollection, structuresCollection } from './keys.js';
import {
  type AnalysisRecord,
  AnalysisRecordSchema,
  type AnalysisStatus,
  type StructureRecord,
  StructureRecordSchema,
} from './schemas.js';

/** How many status changes an analysis record keeps. */
const HISTORY_LIMIT = 50;
/** Conditional writes retried this often before giving up (the API, listener and stages race). */
const MAX_ATTEMPTS = 20;

export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** The outcome of a read-modify-write: what was there, and what was written (undefined: nothing). */
export interface Updated<T> {
  readonly before: T;
  readonly after: T | undefined;
}

function parseStored<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  // A stored record that does not parse is the service's fault, not the caller's: a plain Error
  // (an HTTP 500, logged), never a 4xx.
  if (!parsed.success) throw new Error(`The stored ${what} is not valid: ${parsed.error.message}`);
  return parsed.data;
}

const jitter = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * 2 ** attempt)));

/** The record with a new status, its history extended (bounded); `fields` set at the same time. */
export function withStatus(
  record: AnalysisRecord,
  status: AnalysisStatus,
  at: string,
  fields: Partial<AnalysisRecord> = {},
): AnalysisRecord {
  const next = { ...record, ...fields, status, updated_at: at };
  const entry = { status, at, ...(next.run_id === undefined ? {} : { run_id: next.run_id }) };
  return { ...next, history: [...record.history, entry].slice(-HISTORY_LIMIT) };
}

/**
 * The OMA records on the RecordStore, tenant-scoped by their collection names. Updates are
 * read-modify-write with the record's version as the condition, retried on a conflict, so the
 * API, the listener and the publish stage never overwrite each other's changes.
 */
export class AnalysisStore {
  readonly #recordsOf: (tenant: string) => TenantRecords;

  /** `recordsOf` gives a tenant's records: the service's for any caller, a stage's for its own job. */
  constructor(recordsOf: (tenant: string) => TenantRecords) {
    this.#recordsOf = recordsOf;
  }

  async get(
    tenant: string,
    structureId: string,
    analysisId: string,
  ): Promise<Versioned<AnalysisRecord> | undefined> {
    const stored = await this.#recordsOf(tenant).getRecord(
      analysesCollection(tenant, structureId),
      analysisId,
    );
    if (stored === undefined) return undefined;
    return { value: parseStored(AnalysisRecordSchema, stored.data, 'analysis'), version: stored.version };
  }

  /** The analysis, or a NotFoundError (404) — also for another tenant's, which must look the same. */
  async require(tenant: string, structureId: string, analysisId: string): Promise<Versioned<AnalysisRecord>> {
    const found = await this.get(tenant, structureId, analysisId);
    if (found === undefined) {
      throw new NotFoundError(`Analysis '${analysisId}' of structure '${structureId}' was not found.`, {
        context: { structure_id: structureId, analysis_id: analysisId },
      });
    }
    return found;
  }

  /** Stores a new analysis; {@link RecordConflictError} when the id is taken. */
  async create(tenant: string, record: AnalysisRecord): Promise<void> {
    await this.#recordsOf(tenant).putRecord(
      analysesCollection(tenant, record.structure_id),
      record.analysis_id,
      record,
      'absent',
    );
  }

  /** Writes the analysis if it is still at `version`; {@link RecordConflictError} otherwise. */
  async replace(tenant: string, record: AnalysisRecord, version: number): Promise<void> {
    await this.#recordsOf(tenant).putRecord(
      analysesCollection(tenant, record.structure_id),
      record.analysis_id,
      record,
      {
        version,
      },
    );
  }

  async list(
    tenant: string,
    structureId: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<{ items: AnalysisRecord[]; cursor?: string }> {
    const page = await this.#recordsOf(tenant).listRecords(analysesCollection(tenant, structureId), query);
    return {
      items: page.items.map((r) => parseStored(AnalysisRecordSchema, r.data, 'analysis')),
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
    };
  }

  /**
   * Read-modify-write: `decide` gets the current record and returns the new one, or undefined to
   * leave it as it is. Undefined when the analysis does not exist.
   */
  async update(
    tenant: string,
    structureId: string,
    analysisId: string,
    decide: (current: AnalysisRecord) => AnalysisRecord | undefined,
  ): Promise<Updated<AnalysisRecord> | undefined> {
    const collection = analysesCollection(tenant, structureId);
    return this.#readModifyWrite(
      () => this.get(tenant, structureId, analysisId),
      decide,
      (next, version) => this.#recordsOf(tenant).putRecord(collection, analysisId, next, { version }),
    );
  }

  async getStructure(tenant: string, structureId: string): Promise<StructureRecord | undefined> {
    const stored = await this.#recordsOf(tenant).getRecord(structuresCollection(tenant), structureId);
    return stored === undefined ? undefined : parseStored(StructureRecordSchema, stored.data, 'structure');
  }

  /** Points the structure at a dataset, unless it already has one from a later run. */
  async offerDataset(tenant: string, dataset: StructureRecord): Promise<boolean> {
    const collection = structuresCollection(tenant);
    const id = dataset.structure_id;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await this.#recordsOf(tenant).getRecord(collection, id);
      const current =
        stored === undefined ? undefined : parseStored(StructureRecordSchema, stored.data, 'structure');
      if (current !== undefined && current.dataset_at > dataset.dataset_at) return false;
      if (current?.dataset_run_id === dataset.dataset_run_id) return false;
      try {
        await this.#recordsOf(tenant).putRecord(
          collection,
          id,
          dataset,
          stored === undefined ? 'absent' : { version: stored.version },
        );
        return true;
      } catch (error) {
        if (!(error instanceof RecordConflictError)) throw error;
        await jitter(attempt);
      }
    }
    throw conflict(`structure '${id}'`);
  }

  async putResult(
    tenant: string,
    structureId: string,
    resultId: string,
    data: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await this.#recordsOf(tenant).putRecord(resultsCollection(tenant, structureId), resultId, data);
  }

  async getResult(
    tenant: string,
    structureId: string,
    resultId: string,
  ): Promise<Readonly<Record<string, unknown>> | undefined> {
    return (await this.#recordsOf(tenant).getRecord(resultsCollection(tenant, structureId), resultId))?.data;
  }

  async deleteResult(tenant: string, structureId: string, resultId: string): Promise<void> {
    await this.#recordsOf(tenant).deleteRecord(resultsCollection(tenant, structureId), resultId);
  }

  async #readModifyWrite<T>(
    read: () => Promise<Versioned<T> | undefined>,
    decide: (current: T) => T | undefined,
    write: (next: T, version: number) => Promise<unknown>,
  ): Promise<Updated<T> | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await read();
      if (current === undefined) return undefined;
      const next = decide(current.value);
      if (next === undefined) return { before: current.value, after: undefined };
      try {
        await write(next, current.version);
        return { before: current.value, after: next };
      } catch (error) {
        if (!(error instanceof RecordConflictError)) throw error;
        await jitter(attempt);
      }
    }
    throw conflict('an analysis');
  }
}

function conflict(what: string): StagecoachError {
  // CONFLICT is a 409 over HTTP, and retryable: in a stage or listener it is tried again.
  return new StagecoachError(
    'CONFLICT',
    `The record of ${what} kept changing while it was updated; try again.`,
    true,
  );
}
