import { z } from 'zod';
import type { BlobStore, JobEvent, JobEventType } from '../../core/ports/index.js';
import { tenantBlobs, tenantRecords } from '../../core/ports/index.js';
import { defineListener, type Listener, type ListenerContext } from '../../core/sdk/index.js';
import { AnalysisStore, withStatus } from './analysis-store.js';
import { OMA_PIPELINE, runPrefix } from './keys.js';
import {
  type AnalysisRecord,
  type AnalysisStatus,
  type FinishedRunParams,
  FinishedRunParamsSchema,
  statusRank,
} from './schemas.js';
import { publishStatus } from './status-events.js';

/** The job events that move an analysis, and where to. */
const TARGETS: Partial<Record<JobEventType, AnalysisStatus>> = {
  'job.created': 'QUEUED',
  'stage.started': 'RUNNING',
  'job.done': 'DONE',
  'job.failed': 'ERROR',
  'job.aborted': 'ABORTED',
};

const ErrorDataSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/** Removes everything a run wrote (dataset, result, results document): a run that did not finish keeps nothing. */
export async function deleteRunOutputs(
  blobs: BlobStore,
  tenant: string,
  structureId: string,
  runId: string,
): Promise<number> {
  const objects = await blobs.list(runPrefix(tenant, structureId, runId));
  for (const object of objects) await blobs.delete(object.key);
  return objects.length;
}

/** Whether the event would move the analysis: it is of the analysis's current run, and forward. */
function moves(record: AnalysisRecord, runId: string, target: AnalysisStatus): boolean {
  return record.run_id === runId && statusRank(target) > statusRank(record.status);
}

/**
 * Projects the job events of `oma` jobs onto their analyses: QUEUED on job.created, RUNNING on the
 * first stage.started, DONE on job.done (with the results or the dataset the run produced),
 * ERROR on job.failed (with the error's message), ABORTED on job.aborted — and publishes every
 * change as an `oma.analysis.status` service event.
 *
 * Events arrive at least once and in any order, so the projection is monotonic (a status only
 * moves forward: QUEUED < RUNNING < DONE | ERROR | ABORTED, the first terminal one wins), ignores
 * events of any run but the analysis's current one, and writes conditionally. The side effects of
 * a terminal status (deleting a failed run's outputs, storing results) are idempotent and happen
 * before the status write, so a delivery that dies half-way is redone by the next one.
 */
export async function projectJobEvent(event: JobEvent, ctx: ListenerContext): Promise<void> {
  const target = TARGETS[event.type];
  if (target === undefined) return;
  const { backend, logger } = ctx;
  const job = await backend.store.getJob(event.tenant_id, event.job_id);
  if (job === undefined) return; // expired: nothing left to project onto
  const parsed = FinishedRunParamsSchema.safeParse(job.params);
  if (!parsed.success) {
    logger.warn('an oma job without analysis params; ignored', { job_id: event.job_id });
    return;
  }
  const params = parsed.data;
  const tenant = job.tenant_id;
  const runId = job.job_id;
  const store = new AnalysisStore((t) => tenantRecords(backend.records, t));
  const current = await store.get(tenant, params.structure_id, params.analysis_id);
  if (current === undefined || !moves(current.value, runId, target)) return;

  let fields: Partial<AnalysisRecord> = {};
  if (target === 'RUNNING') fields = { started_at: event.time };
  if (target === 'ERROR' || target === 'ABORTED') {
    await deleteRunOutputs(tenantBlobs(backend.blobs, tenant), tenant, params.structure_id, runId);
    await store.deleteResult(tenant, params.structure_id, runId);
    const error = ErrorDataSchema.safeParse(event.data);
    fields = {
      finished_at: event.time,
      result_id: undefined,
      result_key: undefined,
      summary: undefined,
      ...(target === 'ERROR'
        ? {
            error: error.success
              ? { code: error.data.error.code, message: error.data.error.message }
              : { code: 'UNKNOWN', message: 'The run failed.' },
          }
        : {}),
    };
  }
  if (target === 'DONE') fields = await storeFinishedRun(params, tenant, runId, event.time, ctx);

  const updated = await store.update(tenant, params.structure_id, params.analysis_id, (record) =>
    moves(record, runId, target) ? withStatus(record, target, event.time, fields) : undefined,
  );
  if (updated?.after !== undefined) await publishStatus(backend.events, tenant, updated.after, event.time);
}

/**
 * DONE: a PREPROCESSING run's dataset becomes the structure's (unless a later one already is); an
 * FDD/SSI run's results were stored by its publish stage. Returns the analysis's new fields.
 */
async function storeFinishedRun(
  params: FinishedRunParams,
  tenant: string,
  runId: string,
  at: string,
  { backend }: ListenerContext,
): Promise<Partial<AnalysisRecord>> {
  const store = new AnalysisStore((t) => tenantRecords(backend.records, t));
  const base = {
    finished_at: at,
    error: undefined,
    ...(params.dataset_key === undefined ? {} : { dataset_key: params.dataset_key }),
    ...(params.dataset === undefined ? {} : { dataset: params.dataset }),
  };
  if (params.type === 'PREPROCESSING') {
    if (params.dataset_key !== undefined && params.dataset !== undefined) {
      await store.offerDataset(tenant, {
        structure_id: params.structure_id,
        dataset_key: params.dataset_key,
        dataset: params.dataset,
        dataset_analysis_id: params.analysis_id,
        dataset_run_id: runId,
        dataset_at: at,
      });
    }
    return base;
  }
  // An FDD/SSI run's publish stage stored the results record and wrote its ids and summary into the
  // analysis; DONE only adds the status (the ids below repeat them, for a record written before).
  return {
    ...base,
    ...(params.result_id === undefined ? {} : { result_id: params.result_id }),
    ...(params.result_key === undefined ? {} : { result_key: params.result_key }),
    ...(params.summary === undefined ? {} : { summary: params.summary }),
  };
}

export const omaStatusListener: Listener = defineListener({
  name: 'oma-status',
  pipelines: [OMA_PIPELINE],
  types: ['job.created', 'stage.started', 'job.done', 'job.failed', 'job.aborted'],
  handle: projectJobEvent,
});
