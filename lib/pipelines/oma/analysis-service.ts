import { randomUUID } from 'node:crypto';
import type { Caller, JobService } from '../../core/control/index.js';
import type { Backend, JobEventType, JobRecord } from '../../core/ports/index.js';
import {
  type BlobStore,
  formatIssues,
  InvalidTransitionError,
  isTerminal as isTerminalJob,
  JobNotFoundError,
  type Logger,
  RecordConflictError,
  StagecoachError,
  silentLogger,
  tenantBlobs,
  tenantRecords,
  ValidationError,
} from '../../core/ports/index.js';
import { AnalysisStore, withStatus } from './analysis-store.js';
import { csvKey, OMA_PIPELINE } from './keys.js';
import { projectJobEvent } from './listener.js';
import { checkSetups, resolveSetups } from './multi-setup.js';
import {
  AnalysisIdSchema,
  type AnalysisRecord,
  CreateAnalysisSchema,
  type DatasetSummary,
  isInFlight,
  MultiSetupParametersSchema,
  parametersSchema,
  type SetupDataset,
  StructureIdSchema,
  type StructureRecord,
} from './schemas.js';
import { publishStatus } from './status-events.js';

/** Results larger than this are not inlined in the API's answer (a Lambda response is at most 6 MB). */
const INLINE_RESULT_BYTES = 4 * 1024 * 1024;

export interface AnalysisServiceOptions {
  readonly jobs: JobService;
  /** @default silent */
  readonly logger?: Logger;
  readonly backend: Backend;
  /** How long an upload URL is valid. @default 900 */
  readonly uploadExpiresInS?: number;
}

export interface UploadUrl {
  readonly url: string;
  readonly method: 'PUT';
  readonly key: string;
  readonly expires_in_s: number;
}

/** A run's plan: the stage range and the references the job starts with. */
interface RunPlan {
  readonly entry_stage: 'preprocess' | 'analyze';
  readonly exit_stage: 'preprocess' | 'publish';
  readonly csv_key?: string;
  readonly dataset_key?: string;
  readonly dataset?: DatasetSummary;
  /** MULTI_SETUP: each setup's dataset. */
  readonly setups?: SetupDataset[];
}

/** The job events the status listener projects onto an analysis. */
const PROJECTED: ReadonlySet<JobEventType> = new Set([
  'job.created',
  'stage.started',
  'job.done',
  'job.failed',
  'job.aborted',
]);

const conflict = (message: string): StagecoachError => new StagecoachError('CONFLICT', message, false);
const now = (): string => new Date().toISOString();

function checkId(schema: typeof StructureIdSchema, value: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(formatIssues(parsed.error), { code: 'BAD_REQUEST' });
  return parsed.data;
}

/**
 * The analyses of structures, for one tenant per call: create (READY), upload URL, run (QUEUED,
 * one job per run), read, list, results, abort. The job's progress reaches the records through the
 * status listener; what the service changes itself (READY, QUEUED) it publishes the same way.
 */
export class AnalysisService {
  readonly #jobs: JobService;
  readonly #backend: AnalysisServiceOptions['backend'];
  readonly #store: AnalysisStore;
  readonly #uploadExpiresInS: number;
  readonly #log: Logger;

  constructor(options: AnalysisServiceOptions) {
    this.#log = (options.logger ?? silentLogger).child({ component: 'oma-analyses' });
    this.#jobs = options.jobs;
    this.#backend = options.backend;
    this.#store = new AnalysisStore((t) => tenantRecords(options.backend.records, t));
    this.#uploadExpiresInS = options.uploadExpiresInS ?? 900;
  }

  async create(caller: Caller, structureId: string, input: unknown): Promise<AnalysisRecord> {
    const sid = checkId(StructureIdSchema, structureId);
    const request = CreateAnalysisSchema.safeParse(input);
    if (!request.success) {
      throw new ValidationError(`Invalid analysis: ${formatIssues(request.error)}.`, { code: 'BAD_REQUEST' });
    }
    const { type, name } = request.data;
    const parameters = parametersSchema(type).safeParse(request.data.parameters);
    if (!parameters.success) {
      throw new ValidationError(`Invalid ${type} parameters: ${formatIssues(parameters.error)}.`, {
        code: 'BAD_REQUEST',
      });
    }
    if (type === 'MULTI_SETUP')
      await checkSetups(this.#store, caller.tenantId, sid, MultiSetupParametersSchema.parse(parameters.data));
    const analysisId = request.data.analysis_id ?? randomUUID();
    const at = now();
    const record: AnalysisRecord = {
      structure_id: sid,
      analysis_id: analysisId,
      type,
      status: 'READY',
      parameters: { ...parameters.data },
      ...(name === undefined ? {} : { name }),
      ...(caller.userId === undefined ? {} : { created_by: caller.userId }),
      created_at: at,
      updated_at: at,
      csv_key: csvKey(caller.tenantId, sid, analysisId),
      run_number: 0,
      history: [{ status: 'READY', at }],
    };
    try {
      await this.#store.create(caller.tenantId, record);
    } catch (error) {
      if (error instanceof RecordConflictError) {
        throw conflict(`Analysis '${analysisId}' of structure '${sid}' already exists.`);
      }
      throw error;
    }
    await this.#publish(caller.tenantId, record, at);
    return record;
  }

  async get(caller: Caller, structureId: string, analysisId: string): Promise<AnalysisRecord> {
    return this.#reconciled(caller, (await this.#require(caller, structureId, analysisId)).value);
  }

  async list(
    caller: Caller,
    structureId: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<{ items: AnalysisRecord[]; cursor?: string }> {
    const page = await this.#store.list(caller.tenantId, checkId(StructureIdSchema, structureId), query);
    // A listing shows what a read would: each in-flight analysis checked against its job (one
    // job read per QUEUED or RUNNING item of the page; finished ones cost nothing).
    const items = await Promise.all(page.items.map((item) => this.#reconciled(caller, item)));
    return { ...page, items };
  }

  /** The structure and the dataset its FDD and SSI analyses reuse (null until a PREPROCESSING run is DONE). */
  async structure(
    caller: Caller,
    structureId: string,
  ): Promise<{ structure_id: string; dataset: StructureRecord | null }> {
    const sid = checkId(StructureIdSchema, structureId);
    return { structure_id: sid, dataset: (await this.#store.getStructure(caller.tenantId, sid)) ?? null };
  }

  /** A presigned PUT for the analysis's measurement CSV (not while a run may be reading it). */
  async uploadUrl(caller: Caller, structureId: string, analysisId: string): Promise<UploadUrl> {
    const { value } = await this.#require(caller, structureId, analysisId);
    if (value.type === 'MULTI_SETUP') {
      throw new ValidationError(
        `Analysis '${analysisId}' is a MULTI_SETUP analysis, which has no CSV of its own: upload each setup's CSV to its PREPROCESSING analysis.`,
        { code: 'BAD_REQUEST' },
      );
    }
    if (isInFlight(value.status)) {
      throw conflict(`Analysis '${analysisId}' is ${value.status}; upload its CSV when the run has ended.`);
    }
    const url = await this.#blobs(caller).presign(value.csv_key, {
      method: 'PUT',
      expiresInS: this.#uploadExpiresInS,
    });
    return { url, method: 'PUT', key: value.csv_key, expires_in_s: this.#uploadExpiresInS };
  }

  /** Starts a run (→ QUEUED): one job, whose id is the run id. 409 while a run is in flight. */
  async run(caller: Caller, structureId: string, analysisId: string): Promise<AnalysisRecord> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const { value: found, version: foundVersion } = await this.#require(caller, structureId, analysisId);
      const reconciled = await this.#reconciled(caller, found);
      const { value: current, version } =
        reconciled === found
          ? { value: found, version: foundVersion }
          : await this.#require(caller, structureId, analysisId);
      if (isInFlight(current.status)) return this.#alreadyRunning(caller, current);
      const plan = await this.#plan(caller.tenantId, current);
      const at = now();
      const runId = randomUUID();
      const next = withStatus(current, 'QUEUED', at, {
        run_id: runId,
        run_number: current.run_number + 1,
        run_by: caller.userId,
        queued_at: at,
        started_at: undefined,
        finished_at: undefined,
        error: undefined,
        result_id: undefined,
        result_key: undefined,
        summary: undefined,
        dataset_key: plan.dataset_key,
        dataset: plan.dataset,
      });
      try {
        await this.#store.replace(caller.tenantId, next, version);
      } catch (error) {
        if (error instanceof RecordConflictError) continue;
        throw error;
      }
      // Published before the job exists, so subscribers see QUEUED before the listener's RUNNING.
      await this.#publish(caller.tenantId, next, at);
      try {
        await this.#submit(caller, next, plan);
      } catch (error) {
        await this.#markUnqueued(caller, next, error);
        throw error;
      }
      return next;
    }
    throw conflict(`Analysis '${analysisId}' kept changing while it was being queued; try again.`);
  }

  /**
   * Aborts the analysis's run: a queued one ends ABORTED at once, a running one within about a
   * second (its AbortSignal fires at the next heartbeat). Only this analysis's run is touched.
   * Aborting an ABORTED analysis is a no-op; a READY, DONE or ERROR one is a 409.
   */
  async abort(
    caller: Caller,
    structureId: string,
    analysisId: string,
    reason?: string,
  ): Promise<AnalysisRecord> {
    const { value } = await this.#require(caller, structureId, analysisId);
    if (value.status === 'ABORTED') return value;
    if (!isInFlight(value.status) || value.run_id === undefined) {
      throw conflict(
        `Analysis '${analysisId}' is ${value.status}; only a QUEUED or RUNNING analysis can be aborted.`,
      );
    }
    try {
      await this.#jobs.abort(value.run_id, caller, reason ?? `aborted by ${caller.userId ?? 'request'}`);
    } catch (error) {
      if (error instanceof InvalidTransitionError) {
        throw conflict(`Analysis '${analysisId}' finished before the abort arrived.`);
      }
      if (!(error instanceof JobNotFoundError)) throw error;
      // Queued but its job was never created (the service stopped in between): nothing to stop.
      await this.#markUnqueued(caller, value, undefined);
    }
    return (await this.#require(caller, structureId, analysisId)).value;
  }

  /** The results of a DONE analysis: the full result JSON (inline up to 4 MB) and a download URL. */
  async results(caller: Caller, structureId: string, analysisId: string): Promise<Record<string, unknown>> {
    const { value } = await this.#require(caller, structureId, analysisId);
    if (value.status !== 'DONE') {
      throw conflict(`Analysis '${analysisId}' is ${value.status}; it has results once it is DONE.`);
    }
    const base = {
      structure_id: value.structure_id,
      analysis_id: value.analysis_id,
      type: value.type,
      run_id: value.run_id,
      dataset_key: value.dataset_key,
    };
    if (value.type === 'PREPROCESSING' || value.result_key === undefined) {
      return { ...base, dataset: value.dataset ?? null, result: null };
    }
    const info = await this.#blobs(caller).head(value.result_key);
    const inline = info !== undefined && info.size <= INLINE_RESULT_BYTES;
    const result: unknown = inline
      ? JSON.parse(Buffer.from(await this.#blobs(caller).get(value.result_key)).toString('utf8'))
      : null;
    return {
      ...base,
      result_id: value.result_id,
      result_key: value.result_key,
      summary: value.summary,
      ...(await this.#downloadUrl(caller, value.result_key)),
      result,
      ...(inline ? {} : { truncated: true }),
    };
  }

  /**
   * Status events are notifications; the record is the truth. A bus failure is logged and does not
   * undo or fail the change it reports (as the job service does with lifecycle events).
   */
  async #publish(tenant: string, record: AnalysisRecord, at: string): Promise<void> {
    try {
      await publishStatus(this.#backend.events, tenant, record, at);
    } catch (error) {
      this.#log.warn('publishing an analysis status failed', { error, analysis_id: record.analysis_id });
    }
  }

  /** The tenant's storage: the OMA keys are relative to the tenant's prefix, like a stage's. */
  #blobs(caller: Caller): BlobStore {
    return this.#blobsOf(caller.tenantId);
  }

  #blobsOf(tenant: string): BlobStore {
    return tenantBlobs(this.#backend.blobs, tenant);
  }

  /** A presigned GET, where the store can sign (an embedded store without an HTTP server cannot). */
  async #downloadUrl(caller: Caller, key: string): Promise<{ download_url?: string }> {
    try {
      return { download_url: await this.#blobs(caller).presign(key, { method: 'GET', expiresInS: 900 }) };
    } catch (error) {
      if (error instanceof StagecoachError && !error.retryable) return {};
      throw error;
    }
  }

  async #require(caller: Caller, structureId: string, analysisId: string) {
    return this.#store.require(
      caller.tenantId,
      checkId(StructureIdSchema, structureId),
      checkId(AnalysisIdSchema, analysisId),
    );
  }

  /**
   * PREPROCESSING: preprocess only. FDD/SSI: preprocess their own CSV, else reuse the structure's
   * dataset. MULTI_SETUP: analyze its setups' current datasets.
   */
  async #plan(tenant: string, record: AnalysisRecord): Promise<RunPlan> {
    if (record.type === 'MULTI_SETUP') {
      const parameters = MultiSetupParametersSchema.parse(record.parameters);
      const setups = await resolveSetups(this.#store, tenant, record.structure_id, parameters);
      return { entry_stage: 'analyze', exit_stage: 'publish', setups };
    }
    const csv = await this.#blobsOf(tenant).head(record.csv_key);
    if (record.type === 'PREPROCESSING') {
      return { entry_stage: 'preprocess', exit_stage: 'preprocess', csv_key: record.csv_key };
    }
    if (csv !== undefined)
      return { entry_stage: 'preprocess', exit_stage: 'publish', csv_key: record.csv_key };
    const structure = await this.#store.getStructure(tenant, record.structure_id);
    // Without a dataset the job still runs, and fails at once naming what is missing: the
    // analysis ends ERROR with a message, like any other bad input.
    return {
      entry_stage: 'analyze',
      exit_stage: 'publish',
      ...(structure === undefined ? {} : { dataset_key: structure.dataset_key, dataset: structure.dataset }),
    };
  }

  async #submit(caller: Caller, record: AnalysisRecord, plan: RunPlan): Promise<void> {
    await this.#jobs.submit(
      {
        pipeline: OMA_PIPELINE,
        job_id: record.run_id,
        entry_stage: plan.entry_stage,
        exit_stage: plan.exit_stage,
        params: {
          structure_id: record.structure_id,
          analysis_id: record.analysis_id,
          type: record.type,
          parameters: record.parameters,
          ...(caller.userId === undefined ? {} : { user_id: caller.userId }),
          ...(plan.csv_key === undefined ? {} : { csv_key: plan.csv_key }),
          ...(plan.dataset_key === undefined ? {} : { dataset_key: plan.dataset_key }),
          // The reused dataset's summary: its sensor check of the raw record goes into the results.
          ...(plan.dataset === undefined ? {} : { dataset: plan.dataset }),
          ...(plan.setups === undefined ? {} : { setups: plan.setups }),
        },
        tags: { structure_id: record.structure_id, analysis_id: record.analysis_id, type: record.type },
      },
      caller,
    );
  }

  /**
   * An analysis QUEUED or RUNNING whose job has moved on without it (an event lost on the way to
   * the status listener): the job's state is the truth, so its last event is projected again.
   * Answers the record as it is now.
   */
  async #reconciled(caller: Caller, record: AnalysisRecord): Promise<AnalysisRecord> {
    if (!isInFlight(record.status) || record.run_id === undefined) return record;
    let job: JobRecord;
    try {
      job = await this.#jobs.get(record.run_id, caller);
    } catch (error) {
      if (error instanceof JobNotFoundError) return record;
      throw error;
    }
    const behind = isTerminalJob(job.status) || (record.status === 'QUEUED' && job.status !== 'QUEUED');
    if (!behind) return record;
    const events = (await this.#jobs.events(job.job_id, caller, { limit: 1_000 })).items;
    const last = events.findLast((e) => PROJECTED.has(e.type));
    if (last === undefined) return record;
    this.#log.info('analysis behind its job; projecting the job state', {
      analysis_id: record.analysis_id,
      status: record.status,
      job_status: job.status,
    });
    await projectJobEvent(last, { backend: this.#backend, logger: this.#log });
    return (await this.#store.get(caller.tenantId, record.structure_id, record.analysis_id))?.value ?? record;
  }

  /** A run already in flight: a 409 — unless its job was never created, which a re-submit heals. */
  async #alreadyRunning(caller: Caller, current: AnalysisRecord): Promise<AnalysisRecord> {
    if (current.status === 'QUEUED' && current.run_id !== undefined) {
      try {
        await this.#jobs.get(current.run_id, caller);
      } catch (error) {
        if (!(error instanceof JobNotFoundError)) throw error;
        await this.#submit(caller, current, await this.#plan(caller.tenantId, current));
        return current;
      }
    }
    throw conflict(
      `Analysis '${current.analysis_id}' is already ${current.status} (run ${current.run_id ?? '?'}); abort it or wait for it to end.`,
    );
  }

  /** The run's job could not be created (or never was): the analysis ends, saying why. */
  async #markUnqueued(caller: Caller, record: AnalysisRecord, error: unknown): Promise<void> {
    const at = now();
    const updated = await this.#store.update(
      caller.tenantId,
      record.structure_id,
      record.analysis_id,
      (current) =>
        current.run_id === record.run_id && isInFlight(current.status)
          ? error === undefined
            ? withStatus(current, 'ABORTED', at, { finished_at: at })
            : withStatus(current, 'ERROR', at, {
                finished_at: at,
                error: {
                  code: error instanceof StagecoachError ? error.code : 'UNHANDLED',
                  message: `The run could not be queued: ${error instanceof Error ? error.message : String(error)}`,
                },
              })
          : undefined,
    );
    if (updated?.after !== undefined) await this.#publish(caller.tenantId, updated.after, at);
  }
}
