import { z } from 'zod';
import { ApiClient, type ApiClientOptions } from './http.js';
import { JOB_STATUSES, JobSchema } from './jobs.js';

/**
 * A typed client of the operations API (lib/core/api/ops-routes.ts): queue depths, the caller's
 * jobs and throughput per stage, and the caller's dead letters with their redrive. Answers are
 * read leniently (`loose`), so a server that says more is still understood.
 */

const DepthSchema = z
  .object({
    queue: z.string(),
    visible: z.number(),
    in_flight: z.number(),
    delayed: z.number(),
    oldest_age_s: z.number().optional(),
  })
  .loose();
export type QueueDepthView = z.output<typeof DepthSchema>;

export const StageOperationsSchema = z
  .object({
    pipeline: z.string(),
    stage: z.string(),
    compute: z.string().optional(),
    lanes: z.array(DepthSchema.extend({ lane: z.number() })),
    dead_letter_queue: DepthSchema,
    jobs: z.partialRecord(z.enum(JOB_STATUSES), z.number()),
    dead_letters: z.number(),
    throughput: z.object({ per_minute: z.array(z.number()), total: z.number() }).loose(),
  })
  .loose();
export type StageOperations = z.output<typeof StageOperationsSchema>;

export const QueuesOverviewSchema = z
  .object({
    generated_at: z.string(),
    window_minutes: z.number(),
    stages: z.array(StageOperationsSchema),
    scope: z.object({ throughput: z.string().optional() }).loose().optional(),
    truncated: z.boolean().optional(),
  })
  .loose();
export type QueuesOverview = z.output<typeof QueuesOverviewSchema>;

export const DeadLetterSchema = z
  .object({
    dead_letter_id: z.string(),
    queue: z.string(),
    pipeline: z.string().optional(),
    stage: z.string().optional(),
    job_id: z.string().optional(),
    code: z.string(),
    reason: z.string(),
    received_at: z.string(),
    job_status: z.enum(JOB_STATUSES).optional(),
  })
  .loose();
export type DeadLetter = z.output<typeof DeadLetterSchema>;

const RedriveSchema = z.object({ dead_letter_id: z.string(), job: JobSchema }).loose();

export class OpsClient {
  readonly api: ApiClient;

  constructor(options: ApiClientOptions | ApiClient) {
    this.api = options instanceof ApiClient ? options : new ApiClient(options);
  }

  queues(windowMinutes?: number): Promise<QueuesOverview> {
    const q = windowMinutes === undefined ? '' : `?window_minutes=${windowMinutes}`;
    return this.api.call('GET', `/queues${q}`, QueuesOverviewSchema);
  }

  async deadLetters(limit?: number): Promise<readonly DeadLetter[]> {
    const q = limit === undefined ? '' : `?limit=${limit}`;
    return (await this.api.call('GET', `/dead-letters${q}`, z.object({ items: z.array(DeadLetterSchema) })))
      .items;
  }

  redrive(deadLetterId: string): Promise<z.output<typeof RedriveSchema>> {
    return this.api.call(
      'POST',
      `/dead-letters/${encodeURIComponent(deadLetterId)}/redrive`,
      RedriveSchema,
      {},
    );
  }
}
