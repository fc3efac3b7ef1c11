import { z } from 'zod';
import { ApiClient, type ApiClientOptions, ApiError } from './http.js';

/**
 * A typed client of the job API (README "Run it locally"): jobs, their events and attempts,
 * control, holds and the pipelines' descriptions. The command line and the console both use it;
 * every answer is parsed, a failure is an ApiError.
 */

export const JOB_STATUSES = [
  'QUEUED',
  'RUNNING',
  'RETRY_WAITING',
  'PAUSED',
  'HELD',
  'DONE',
  'FAILED',
  'ABORTED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['DONE', 'FAILED', 'ABORTED'];

const ErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    stage: z.string().optional(),
    attempt: z.number().optional(),
  })
  .loose();

export const JobSchema = z
  .object({
    job_id: z.string(),
    tenant_id: z.string().optional(),
    pipeline: z.string(),
    entry_stage: z.string().optional(),
    exit_stage: z.string().optional(),
    stage: z.string(),
    status: z.enum(JOB_STATUSES),
    hop: z.number(),
    retry_count: z.number(),
    priority: z.number().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    params: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().optional(),
    retry_at: z.string().optional(),
    held_by: z.string().optional(),
    abort_requested: z.string().optional(),
    pause_requested: z.boolean().optional(),
    error: ErrorSchema.optional(),
    progress: z
      .object({ percent: z.number(), message: z.string().optional(), at: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();
export type Job = z.output<typeof JobSchema>;

export const JobEventSchema = z
  .object({
    event_id: z.string().optional(),
    type: z.string(),
    job_id: z.string(),
    tenant_id: z.string().optional(),
    pipeline: z.string().optional(),
    stage: z.string(),
    status: z.string(),
    hop: z.number().optional(),
    attempt: z.number().optional(),
    time: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type JobEventRecord = z.output<typeof JobEventSchema>;

export const AttemptSchema = z
  .object({
    job_id: z.string(),
    stage: z.string(),
    hop: z.number(),
    attempt: z.number(),
    worker: z.string(),
    started_at: z.string(),
    ended_at: z.string(),
    duration_ms: z.number(),
    outcome: z.string(),
    error: ErrorSchema.optional(),
  })
  .loose();
export type Attempt = z.output<typeof AttemptSchema>;

export const HoldSchema = z
  .object({
    hold_id: z.string(),
    selector: z.record(z.string(), z.string()),
    until: z.string(),
    reason: z.string().optional(),
    created_at: z.string().optional(),
  })
  .loose();
export type Hold = z.output<typeof HoldSchema>;

export const StageDescriptionSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    compute: z.string(),
    inputs: z.record(z.string(), z.unknown()),
    outputs: z.array(z.string()),
    max_retries: z.number(),
    timeout_ms: z.number(),
  })
  .loose();
export const PipelineDescriptionSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    priority_lanes: z.number(),
    contract_limit_bytes: z.number(),
    stages: z.array(StageDescriptionSchema),
  })
  .loose();
export type PipelineDescription = z.output<typeof PipelineDescriptionSchema>;

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), cursor: z.string().optional() });
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string | undefined;
}

export interface SubmitRequest {
  readonly pipeline: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly entry_stage?: string;
  readonly exit_stage?: string;
  readonly priority?: number;
  readonly tags?: Readonly<Record<string, string>>;
  readonly job_id?: string;
  readonly trace_id?: string;
}

export interface ListQuery {
  readonly status?: JobStatus;
  readonly pipeline?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

const enc = encodeURIComponent;

function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, String(value));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

export class JobsClient {
  readonly api: ApiClient;

  constructor(options: ApiClientOptions | ApiClient) {
    this.api = options instanceof ApiClient ? options : new ApiClient(options);
  }

  /**
   * Submits a job. The request carries an `Idempotency-Key` (a fresh one per call unless given), so
   * a submit whose answer was lost — a dropped connection, a 502/503/504 — is sent again (up to
   * `retries` times, with backoff) without ever making a second job.
   */
  async submit(
    request: SubmitRequest,
    options: { readonly idempotencyKey?: string; readonly retries?: number } = {},
  ): Promise<Job> {
    const key = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.api.call('POST', '/jobs', JobSchema, request, { 'idempotency-key': key });
      } catch (error) {
        const transient =
          error instanceof ApiError &&
          (error.code === 'UNREACHABLE' ||
            error.status === 502 ||
            error.status === 503 ||
            error.status === 504);
        if (!transient || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  list(q: ListQuery = {}): Promise<Page<Job>> {
    return this.api.call('GET', `/jobs${query({ ...q })}`, pageOf(JobSchema));
  }

  get(jobId: string): Promise<Job> {
    return this.api.call('GET', `/jobs/${enc(jobId)}`, JobSchema);
  }

  events(
    jobId: string,
    q: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<JobEventRecord>> {
    return this.api.call('GET', `/jobs/${enc(jobId)}/events${query({ ...q })}`, pageOf(JobEventSchema));
  }

  /** Every stored event of a job, following the cursor. */
  async allEvents(jobId: string): Promise<JobEventRecord[]> {
    const out: JobEventRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.events(jobId, { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  async attempts(jobId: string): Promise<readonly Attempt[]> {
    return (await this.api.call('GET', `/jobs/${enc(jobId)}/attempts`, pageOf(AttemptSchema))).items;
  }

  abort(jobId: string, reason?: string): Promise<Job> {
    return this.api.call(
      'POST',
      `/jobs/${enc(jobId)}/abort`,
      JobSchema,
      reason === undefined ? {} : { reason },
    );
  }

  pause(jobId: string): Promise<Job> {
    return this.api.call('POST', `/jobs/${enc(jobId)}/pause`, JobSchema, {});
  }

  resume(jobId: string): Promise<Job> {
    return this.api.call('POST', `/jobs/${enc(jobId)}/resume`, JobSchema, {});
  }

  replay(
    jobId: string,
    request: { readonly from_stage?: string; readonly params?: Readonly<Record<string, unknown>> } = {},
  ): Promise<Job> {
    return this.api.call('POST', `/jobs/${enc(jobId)}/replay`, JobSchema, request);
  }

  async holds(): Promise<readonly Hold[]> {
    return (await this.api.call('GET', '/holds', pageOf(HoldSchema))).items;
  }

  setHold(request: {
    readonly selector: Readonly<Record<string, string>>;
    readonly ttl_s: number;
    readonly reason?: string;
  }): Promise<Hold> {
    return this.api.call('POST', '/holds', HoldSchema, request);
  }

  async clearHold(holdId: string): Promise<number> {
    return (await this.api.call('DELETE', `/holds/${enc(holdId)}`, z.object({ released: z.number() })))
      .released;
  }

  async pipelines(): Promise<readonly PipelineDescription[]> {
    return (await this.api.call('GET', '/pipelines', pageOf(PipelineDescriptionSchema))).items;
  }
}
