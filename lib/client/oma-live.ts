import { z } from 'zod';
import { STATUS_EVENT_TYPE } from '../pipelines/oma/keys.js';
import { type AnalysisRecord, AnalysisStatusSchema, isFinished } from '../pipelines/oma/schemas.js';
import { ApiError } from './http.js';
import type { JobEventRecord } from './jobs.js';
import type { LiveClient, LiveMessage } from './live.js';
import type { OmaClient } from './oma.js';

/**
 * The OMA side of the live client: the service's `oma.analysis.status` events, and
 * `watchAnalysis`, which follows one analysis to the end of its run.
 */

export const StatusDetailSchema = z.object({
  tenant_id: z.string(),
  user_id: z.string().nullable(),
  document_id: z.string(),
  run_type: z.string(),
  status: AnalysisStatusSchema,
  structure_id: z.string(),
  run_id: z.string().optional(),
  error: z.string().optional(),
});
export type StatusDetail = z.output<typeof StatusDetailSchema>;

/** The status detail of a service message, when it is an analysis status event. */
export function statusOf(message: LiveMessage): StatusDetail | undefined {
  if (message.type !== 'service' || message.event.type !== STATUS_EVENT_TYPE) return undefined;
  const parsed = StatusDetailSchema.safeParse(message.event.detail);
  return parsed.success ? parsed.data : undefined;
}

/** What a watcher is told as a run goes on. */
export interface WatchCallbacks {
  /** Stage progress, 0-100, from the job's `stage.progress` events (and 0 at each stage start). */
  onProgress?(stage: string, percent: number, message: string): void;
  /** Every live event of the run's job, as it arrived (order it by hop and time). */
  onEvent?(event: JobEventRecord): void;
  onStatus?(detail: StatusDetail): void;
}

/**
 * Follows an analysis's current run until it is DONE, ERROR or ABORTED, with live progress from
 * the WebSocket. With `start` (which runs the analysis), the tenant's stream is subscribed first
 * so that not even the run's first events are missed. Status events can be lost or reordered on
 * the way, so the record is also read after subscribing and every few seconds; the answer is the
 * final record. Without a live client (it could not connect) the run is followed by polling alone.
 */
export async function watchAnalysis(
  client: OmaClient,
  live: LiveClient | undefined,
  structureId: string,
  analysisId: string,
  callbacks: WatchCallbacks = {},
  options: {
    readonly start?: () => Promise<AnalysisRecord>;
    readonly pollMs?: number;
    readonly timeoutMs?: number;
  } = {},
): Promise<AnalysisRecord> {
  let runId: string | undefined;
  const early: LiveMessage[] = [];
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const handle = (message: LiveMessage): void => {
    if (message.type === 'event' && message.event.job_id === runId) {
      callbacks.onEvent?.(message.event);
      const { type, stage, data } = message.event;
      if (type === 'stage.started') callbacks.onProgress?.(stage, 0, 'started');
      if (type === 'stage.progress') {
        const percent = typeof data?.percent === 'number' ? data.percent : 0;
        callbacks.onProgress?.(stage, percent, typeof data?.message === 'string' ? data.message : '');
      }
    }
    const detail = statusOf(message);
    if (detail?.document_id === analysisId && detail.run_id === runId) {
      callbacks.onStatus?.(detail);
      if (isFinished(detail.status)) finish?.();
    }
  };
  // Until the run id is known, messages wait (those of the run may come before run() answers).
  const off = live?.onMessage((message) => {
    if (runId === undefined) early.push(message);
    else handle(message);
  });
  try {
    if (options.start !== undefined) await live?.subscribeTenant();
    const first =
      options.start === undefined ? await client.getAnalysis(structureId, analysisId) : await options.start();
    if (first.run_id === undefined || (options.start === undefined && isFinished(first.status))) return first;
    runId = first.run_id;
    for (const message of early.splice(0)) handle(message);
    if (options.start === undefined) await live?.subscribeJob(runId);
    const deadline = Date.now() + (options.timeoutMs ?? 24 * 3_600_000);
    for (;;) {
      const current = await client.getAnalysis(structureId, analysisId);
      if (current.run_id !== runId || isFinished(current.status)) return current;
      if (Date.now() > deadline) {
        throw new ApiError(
          0,
          'TIMEOUT',
          `analysis '${analysisId}' was still ${current.status} when the watch timed out`,
        );
      }
      // The poll timer is cleared once the run ends, so it never holds the process open.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise((resolve) => {
          timer = setTimeout(resolve, options.pollMs ?? 3_000);
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    off?.();
  }
}

export { defaultWsUrl, LiveClient, type LiveMessage } from './live.js';
