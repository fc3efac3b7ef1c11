import type { EventPublisher, ServiceEvent } from '../../core/ports/index.js';
import { STATUS_EVENT_TYPE } from './keys.js';
import type { AnalysisRecord, AnalysisStatus, AnalysisType } from './schemas.js';

/**
 * The message the OMA worker sent to its "output" topic on every status change, now a service
 * event: EventBridge carries it to other systems, and the fan-out to the tenant's WebSocket stream
 * and to the subscribers of the run's job.
 */
export interface AnalysisStatusDetail {
  readonly tenant_id: string;
  /** Who started the run (who created the analysis, for READY); null when unknown. */
  readonly user_id: string | null;
  /** The analysis id. */
  readonly document_id: string;
  readonly run_type: AnalysisType;
  readonly status: AnalysisStatus;
  readonly structure_id: string;
  readonly run_id?: string;
  /** ERROR: what went wrong. */
  readonly error?: string;
}

export function statusEvent(tenant: string, record: AnalysisRecord, time: string): ServiceEvent {
  const detail: AnalysisStatusDetail = {
    tenant_id: tenant,
    user_id: record.run_by ?? record.created_by ?? null,
    document_id: record.analysis_id,
    run_type: record.type,
    status: record.status,
    structure_id: record.structure_id,
    ...(record.run_id === undefined ? {} : { run_id: record.run_id }),
    ...(record.status === 'ERROR' && record.error !== undefined ? { error: record.error.message } : {}),
  };
  return {
    type: STATUS_EVENT_TYPE,
    tenant_id: tenant,
    // The run's job subscribers get it too (an analysis has no run, hence no job, until it is run).
    ...(record.run_id === undefined ? {} : { job_id: record.run_id }),
    time,
    detail: { ...detail },
  };
}

export async function publishStatus(
  events: EventPublisher,
  tenant: string,
  record: AnalysisRecord,
  time: string,
): Promise<void> {
  await events.publishService([statusEvent(tenant, record, time)]);
}
