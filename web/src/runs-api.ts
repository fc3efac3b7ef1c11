import { z } from 'zod';
import { ApiError } from '../../lib/client/http.js';
import { JOB_STATUSES, type Job, JobSchema, type JobStatus, pageOf } from '../../lib/client/jobs.js';
import type { Session } from './session.js';

/**
 * The runs list's talk with the API, in one place. The listing contract has two levels:
 *
 * - today's: `GET /jobs?status=&pipeline=&limit=&cursor=` (newest first);
 * - the next one: also `stage`, `tag=<k>:<v>`, `since`, `until` (ISO, on created_at), `q` (job id
 *   prefix), and `GET /jobs/counts?pipeline=` → `{ counts: { QUEUED: n, … } }`.
 *
 * A server of the first level ignores the query parameters it does not know, so the console asks
 * `GET /jobs/counts` once: when that answers, every filter is the server's; when it is a 404, the
 * console sends what the server understands and applies the rest itself to the pages it loaded,
 * and counts statuses from what it has seen — and says so on the page.
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

let serverFilters: Promise<boolean> | undefined;

/** Whether the server filters by stage, tag, time and id (it answers GET /jobs/counts). */
export function serverFiltersEverything(session: Session): Promise<boolean> {
  serverFilters ??= session.api
    .call('GET', '/jobs/counts', CountsSchema)
    .then(() => true)
    .catch((error: unknown) => {
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return false;
      serverFilters = undefined; // a network failure says nothing: ask again next time
      return false;
    });
  return serverFilters;
}

const query = (params: Readonly<Record<string, string | number | undefined>>): string => {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') q.set(key, String(value));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
};

/** Whether a job passes the filters the server did not apply (all of them, to be safe). */
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
  /** False when some filters were applied here, to the loaded page only. */
  readonly serverFiltered: boolean;
}

export async function listRuns(
  session: Session,
  filters: RunFilters,
  cursor?: string,
  limit = 50,
): Promise<RunsPage> {
  const full = await serverFiltersEverything(session);
  const params = full
    ? { ...filters, limit, cursor }
    : { pipeline: filters.pipeline, status: filters.status, limit, cursor };
  const page = await session.api.call('GET', `/jobs${query(params)}`, pageOf(JobSchema));
  return {
    items: full ? page.items : page.items.filter((job) => matches(job, filters)),
    cursor: page.cursor,
    serverFiltered: full || !(filters.stage || filters.tag || filters.since || filters.until || filters.q),
  };
}

/** Counts per status from the server, or undefined when it cannot count (then the page counts). */
export async function countRuns(session: Session, pipeline?: string): Promise<Counts | undefined> {
  if (!(await serverFiltersEverything(session))) return undefined;
  return (await session.api.call('GET', `/jobs/counts${query({ pipeline })}`, CountsSchema)).counts;
}
