import { z } from 'zod';
import { JOB_STATUSES, type Job, JobSchema, type JobStatus, pageOf } from '../../lib/client/jobs.js';
import type { Session } from './session.js';

/**
 * The runs list's talk with the API, in one place: `GET /jobs` filters by pipeline, status, stage,
 * tag (`key:value`), creation time (`since`, `until`) and job id prefix (`q`), newest first, page
 * by page; `GET /jobs/counts` counts the tenant's jobs per status (finished ones of the last day).
 */

export interface RunFilters {
  readonly pipeline?: string;
  readonly status?: JobStatus;
  readonly stage?: string;
  /** `key:value` */
  readonly tag?: string;
  /** ISO times, on created_at. */
  readonly since?: string;
  readonly until?: string;
  /** Job id prefix. */
  readonly q?: string;
}

export type Counts = Partial<Record<JobStatus, number>>;

const CountsSchema = z.object({ counts: z.partialRecord(z.enum(JOB_STATUSES), z.number()) }).loose();

const query = (params: Readonly<Record<string, string | number | undefined>>): string => {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') q.set(key, String(value));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
};

/** Whether a job passes the filters, for jobs that change or arrive on the live stream. */
export function matches(job: Job, f: RunFilters): boolean {
  if (f.pipeline && job.pipeline !== f.pipeline) return false;
  if (f.status && job.status !== f.status) return false;
  if (f.stage && job.stage !== f.stage) return false;
  if (f.q && !job.job_id.startsWith(f.q)) return false;
  if (f.tag) {
    const at = f.tag.indexOf(':');
    const key = at < 0 ? f.tag : f.tag.slice(0, at);
    const value = at < 0 ? undefined : f.tag.slice(at + 1);
    const tag = job.tags?.[key];
    if (tag === undefined || (value !== undefined && tag !== value)) return false;
  }
  if (f.since && job.created_at < f.since) return false;
  if (f.until && job.created_at > f.until) return false;
  return true;
}

export interface RunsPage {
  readonly items: readonly Job[];
  readonly cursor?: string | undefined;
}

export async function listRuns(
  session: Session,
  filters: RunFilters,
  cursor?: string,
  limit = 50,
): Promise<RunsPage> {
  const page = await session.api.call(
    'GET',
    `/jobs${query({ ...filters, limit, cursor })}`,
    pageOf(JobSchema),
  );
  return { items: page.items, cursor: page.cursor };
}

/** Counts per status from the server. */
export async function countRuns(session: Session, pipeline?: string): Promise<Counts> {
  return (await session.api.call('GET', `/jobs/counts${query({ pipeline })}`, CountsSchema)).counts;
}
