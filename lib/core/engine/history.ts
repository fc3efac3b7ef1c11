import type { SerializedError } from '../ports/errors.js';
import type {
  AttemptRecord,
  HistoryEntry,
  JobEvent,
  JobEventType,
  JobRecord,
  JobStatus,
  MarkEntry,
  RunEntry,
} from '../ports/job.js';

/**
 * The job record carries its own history (one entry per stage attempt and per control action),
 * so the write that changes a job's state is also the durable record of what happened: there is no
 * separate event or attempt item to write, and nothing to keep in step. The event log and the
 * attempt history the API serves are derived here, deterministically — the same job always gives
 * the same events with the same ids, whether they were published live or read back later.
 */

/** What the derivation needs to know of a pipeline (the stage after a stage, its output keys). */
export interface StageShape {
  readonly next?: (stage: string, exitStage: string) => string | undefined;
  readonly outputs?: (stage: string) => readonly string[] | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A stable id: unique within the job (hop, attempt and type never repeat together). */
export const eventId = (job: Pick<JobRecord, 'job_id'>, hop: number, attempt: number, type: string): string =>
  `${job.job_id}/${hop}.${attempt}.${type}`;

interface Subject {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly pipeline: string;
  readonly trace_id?: string;
  readonly exit_stage: string;
}

function make(
  job: Subject,
  type: JobEventType,
  fields: {
    stage: string;
    status: JobStatus;
    hop: number;
    attempt?: number;
    at: number;
    data?: Record<string, unknown>;
  },
): JobEvent {
  return {
    event_id: eventId(job, fields.hop, fields.attempt ?? 0, type),
    type,
    job_id: job.job_id,
    tenant_id: job.tenant_id,
    pipeline: job.pipeline,
    stage: fields.stage,
    status: fields.status,
    hop: fields.hop,
    ...(fields.attempt === undefined ? {} : { attempt: fields.attempt }),
    time: iso(fields.at),
    ...(job.trace_id === undefined ? {} : { trace_id: job.trace_id }),
    ...(fields.data === undefined ? {} : { data: fields.data }),
  };
}

/** The events of one run entry: its start, and — once it ended — how it ended. */
export function runEvents(job: Subject, run: RunEntry, shape: StageShape = {}, params?: object): JobEvent[] {
  const base = { stage: run.stage, hop: run.hop, attempt: run.attempt };
  const events = [make(job, 'stage.started', { ...base, status: 'RUNNING', at: run.started_at })];
  if (run.ended_at === undefined || run.outcome === undefined) return events;
  const at = run.ended_at;
  const duration_ms = Math.max(0, run.ended_at - run.started_at);
  switch (run.outcome) {
    case 'completed': {
      // The job's exit stage ends it; any other stage hands on to the next (named when known).
      const last = run.stage === job.exit_stage;
      const next = last ? undefined : shape.next?.(run.stage, job.exit_stage);
      const outputs = shape.outputs?.(run.stage);
      events.push(
        make(job, 'stage.completed', {
          ...base,
          status: last ? 'DONE' : 'QUEUED',
          at,
          data: {
            ...(outputs === undefined ? {} : { outputs: [...outputs] }),
            duration_ms,
            ...(next === undefined ? {} : { next_stage: next }),
          },
        }),
      );
      if (last) {
        events.push(
          make(job, 'job.done', {
            ...base,
            status: 'DONE',
            at,
            ...(params === undefined ? {} : { data: { output_keys: Object.keys(params) } }),
          }),
        );
      }
      break;
    }
    case 'retrying':
    case 'crashed':
      events.push(
        make(job, 'stage.failed', {
          ...base,
          status: run.outcome === 'retrying' ? 'RETRY_WAITING' : 'RUNNING',
          at,
          data: {
            error: errorOf(run),
            retryable: true,
            ...(run.retry_in_ms === undefined ? {} : { retry_in_ms: run.retry_in_ms }),
          },
        }),
      );
      break;
    case 'failed': {
      const error = errorOf(run);
      const exhausted = error.retryable;
      events.push(
        make(job, 'stage.failed', {
          ...base,
          status: 'FAILED',
          at,
          data: { error, retryable: error.retryable, exhausted },
        }),
        make(job, 'job.failed', {
          ...base,
          status: 'FAILED',
          at,
          data: { error, ...(exhausted ? { dead_lettered: true } : {}) },
        }),
      );
      break;
    }
    case 'aborted':
      events.push(
        make(job, 'job.aborted', {
          ...base,
          status: 'ABORTED',
          at,
          data: { reason: run.error?.message ?? 'aborted' },
        }),
      );
      break;
    case 'paused':
      events.push(
        make(job, 'job.paused', { ...base, status: 'PAUSED', at, data: { during_stage: run.stage } }),
      );
      break;
    case 'interrupted':
      // Given back at shutdown, un-retried: the next delivery runs the stage again.
      break;
  }
  return events;
}

const errorOf = (run: RunEntry): SerializedError =>
  run.error ?? { name: 'Error', code: 'UNKNOWN', message: 'no error was recorded', retryable: true };

export function markEvent(job: Subject, mark: MarkEntry): JobEvent {
  return make(job, mark.type, {
    stage: mark.stage,
    status: mark.status,
    hop: mark.hop,
    at: mark.at,
    ...(mark.data === undefined ? {} : { data: { ...mark.data } }),
  });
}

/** The job.created event, from the record itself. */
export function createdEvent(job: JobRecord): JobEvent {
  return make(job, 'job.created', {
    stage: job.entry_stage,
    status: 'QUEUED',
    hop: 0,
    at: Date.parse(job.created_at),
    data: { entry_stage: job.entry_stage, exit_stage: job.exit_stage, priority: job.priority },
  });
}

/** The events of one history entry. */
export function entryEvents(
  job: Subject,
  entry: HistoryEntry,
  shape?: StageShape,
  params?: object,
): JobEvent[] {
  return entry.kind === 'run' ? runEvents(job, entry, shape, params) : [markEvent(job, entry)];
}

/** The job's durable event log, in the order things happened. */
export function eventsOf(job: JobRecord, shape: StageShape = {}): JobEvent[] {
  return [createdEvent(job), ...job.history.flatMap((entry) => entryEvents(job, entry, shape, job.params))];
}

/** The job's attempt history: every run that ended. */
export function attemptsOf(job: JobRecord): AttemptRecord[] {
  return job.history.flatMap((entry): AttemptRecord[] => {
    if (entry.kind !== 'run' || entry.ended_at === undefined || entry.outcome === undefined) return [];
    return [
      {
        job_id: job.job_id,
        stage: entry.stage,
        hop: entry.hop,
        attempt: entry.attempt,
        worker: entry.worker,
        started_at: iso(entry.started_at),
        ended_at: iso(entry.ended_at),
        duration_ms: Math.max(0, entry.ended_at - entry.started_at),
        outcome: entry.outcome,
        ...(entry.error === undefined ? {} : { error: entry.error }),
      },
    ];
  });
}

/** The open run of a claimed stage (the last entry, when it has not ended), and its index. */
export function openRun(job: JobRecord): { readonly index: number; readonly run: RunEntry } | undefined {
  const index = job.history.length - 1;
  const last = job.history[index];
  return last?.kind === 'run' && last.ended_at === undefined ? { index, run: last } : undefined;
}

/** Stored errors stay small: the message is cut (the full text is in the logs). */
export function compactError(error: SerializedError, max = 400): SerializedError {
  return error.message.length <= max ? error : { ...error, message: `${error.message.slice(0, max - 1)}…` };
}

/** A live progress event (never stored): where a running stage says it is. */
export function progressEvent(
  job: Subject & { readonly stage: string; readonly hop: number },
  attempt: number,
  update: { readonly percent: number; readonly message?: string },
  at: number,
): JobEvent {
  const event = make(job, 'stage.progress', {
    stage: job.stage,
    status: 'RUNNING',
    hop: job.hop,
    attempt,
    at,
    data: { ...update },
  });
  // Progress is live only: its id names the moment, so two updates never share one.
  return { ...event, event_id: `${event.event_id}@${at}` };
}
