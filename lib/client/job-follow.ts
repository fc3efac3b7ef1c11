import { ApiError } from './http.js';
import { type Job, type JobEventRecord, type JobsClient, TERMINAL_STATUSES } from './jobs.js';
import type { LiveClient } from './live.js';

/**
 * Follows one job to its end: its stored event log, its live events, and the job itself, polled
 * as the source of truth (live events may be lost, duplicated or reordered on the way, and the
 * live connection may fail). Each event is reported once (by `event_id`); when the live side
 * fails the follow goes on by polling and says so through `onLiveLost`.
 */

export interface FollowCallbacks {
  /** Every distinct event, stored or live, in the order it arrived (order it by hop and time). */
  onEvent?(event: JobEventRecord): void;
  /** The job as read by every poll. */
  onJob?(job: Job): void;
  /** The live connection could not open or closed; polling carries on. */
  onLiveLost?(error: ApiError): void;
}

export interface FollowOptions extends FollowCallbacks {
  /** Opens the live connection; without it, the follow only polls. */
  readonly live?: () => Promise<LiveClient>;
  /** @default 1000 */
  readonly pollMs?: number;
  /** Stops the follow; the answer is then the job as last read. */
  readonly signal?: AbortSignal;
}

const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError(0, 'LIVE_FAILED', error instanceof Error ? error.message : String(error));

/** A `stage.progress` event made from a polled job's progress, for when live events are lost. */
export function progressEventOf(job: Job): JobEventRecord | undefined {
  if (job.progress === undefined || job.status !== 'RUNNING') return undefined;
  return {
    type: 'stage.progress',
    job_id: job.job_id,
    pipeline: job.pipeline,
    stage: job.stage,
    status: job.status,
    hop: job.hop,
    attempt: job.retry_count + 1,
    time: job.progress.at ?? job.updated_at,
    data: { percent: job.progress.percent, message: job.progress.message ?? '' },
  };
}

/** Follows `jobId` until it is DONE, FAILED or ABORTED (or `signal` fires); answers the last read. */
export async function followJob(
  jobs: Pick<JobsClient, 'get' | 'allEvents'>,
  jobId: string,
  options: FollowOptions = {},
): Promise<Job> {
  const seen = new Set<string>();
  const report = (event: JobEventRecord): void => {
    if (event.event_id !== undefined) {
      if (seen.has(event.event_id)) return;
      seen.add(event.event_id);
    }
    options.onEvent?.(event);
  };
  let wake: (() => void) | undefined;
  let live: LiveClient | undefined;
  // Closing the socket ourselves is not a lost connection.
  let closing = false;
  const closeLive = (): void => {
    closing = true;
    live?.close();
  };
  options.signal?.addEventListener(
    'abort',
    () => {
      closeLive();
      wake?.();
    },
    { once: true },
  );
  if (options.live !== undefined) {
    try {
      live = await options.live();
      live.onMessage((message) => {
        if (message.type !== 'event' || message.event.job_id !== jobId) return;
        report(message.event);
        // A terminal event: read the job now rather than at the next poll.
        if (['job.done', 'job.failed', 'job.aborted'].includes(message.event.type)) wake?.();
      });
      live.onClose(() => {
        if (!closing) options.onLiveLost?.(new ApiError(0, 'LIVE_CLOSED', 'the live connection closed'));
      });
      await live.subscribeJob(jobId);
    } catch (error) {
      closeLive();
      live = undefined;
      options.onLiveLost?.(asApiError(error));
    }
  }
  // A change of step the live side did not report (a runner that thought nobody watched, an event
  // lost on the way) is read from the stored log, so the follow never sits on a stale stage.
  const stepOf = (job: Job): string => `${job.status}|${job.hop}|${job.stage}|${job.retry_count}`;
  try {
    for (const event of await jobs.allEvents(jobId)) report(event);
    let step: string | undefined;
    for (;;) {
      const job = await jobs.get(jobId);
      if (step !== undefined && stepOf(job) !== step && !TERMINAL_STATUSES.includes(job.status)) {
        for (const event of await jobs.allEvents(jobId)) report(event);
      }
      step = stepOf(job);
      options.onJob?.(job);
      if (TERMINAL_STATUSES.includes(job.status) || options.signal?.aborted === true) {
        // The last durable events may still be on their way over the socket; the log has them.
        if (TERMINAL_STATUSES.includes(job.status)) {
          for (const event of await jobs.allEvents(jobId)) report(event);
        }
        return job;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, options.pollMs ?? 1_000);
      });
      clearTimeout(timer);
      wake = undefined;
    }
  } finally {
    closeLive();
  }
}
