import { z } from 'zod';
import { IdSchema, NameSchema, ParamsSchema, PrioritySchema, TagsSchema } from '../ports/contract.js';
import { StagecoachError } from '../ports/errors.js';
import type { JobStatus } from '../ports/job.js';

/** Who is asking: every job belongs to a tenant, and a caller sees only its tenant's jobs. */
export interface Caller {
  readonly tenantId: string;
  readonly userId?: string;
}

export const SubmitRequestSchema = z
  .object({
    pipeline: NameSchema,
    params: ParamsSchema.default({}),
    entry_stage: NameSchema.optional(),
    exit_stage: NameSchema.optional(),
    priority: PrioritySchema.default(0),
    tags: TagsSchema.default({}),
    /** Idempotency key (per tenant): submitting the same request twice returns the first job. */
    job_id: IdSchema.refine((id) => id !== 'counts', {
      message: "'counts' is reserved (GET /jobs/counts); choose another job_id",
    }).optional(),
    trace_id: z.string().min(1).max(128).optional(),
  })
  .strict();
export type SubmitRequest = z.input<typeof SubmitRequestSchema>;

export const ReplayRequestSchema = z
  .object({
    /** Stage to re-run from; defaults to the stage the job failed or was aborted at. */
    from_stage: NameSchema.optional(),
    /** Params to override (merged over the job's last params). */
    params: ParamsSchema.optional(),
  })
  .strict();
export type ReplayRequest = z.input<typeof ReplayRequestSchema>;

export const HoldRequestSchema = z
  .object({
    selector: z
      .record(z.string().min(1).max(64), z.string().max(256))
      .refine((s) => Object.keys(s).length > 0, {
        message: 'a hold needs at least one tag to match',
      }),
    /** How long the hold lasts. */
    ttl_s: z
      .int()
      .min(1)
      .max(30 * 86_400),
    reason: z.string().max(500).optional(),
  })
  .strict();
export type HoldRequest = z.input<typeof HoldRequestSchema>;

export class WaitTimeoutError extends StagecoachError {
  constructor(jobId: string, status: JobStatus, timeoutMs: number) {
    super('WAIT_TIMEOUT', `Job '${jobId}' was still ${status} after ${timeoutMs} ms.`, true, {
      context: { jobId, status, timeoutMs },
    });
  }
}
