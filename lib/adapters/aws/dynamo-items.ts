import { z } from 'zod';
import type { ServiceEvent } from '../../core/ports/index.js';
import {
  type AttemptRecord,
  type Connection,
  type DeadLetterRecord,
  EVENT_TYPES,
  type Hold,
  JOB_STATUSES,
  type JobEvent,
  type JobRecord,
  type Subscription,
  type Topic,
} from '../../core/ports/index.js';

// Items are parsed on the way out of the table, like every other boundary: a record that does not
// have the shape the core expects is an error here, not a surprise three calls later.

const SerializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});

const JobErrorSchema = SerializedErrorSchema.extend({
  stage: z.string(),
  attempt: z.number().optional(),
  dead_lettered: z.boolean().optional(),
});

export const JobItemSchema = z.object({
  job_id: z.string(),
  tenant_id: z.string(),
  pipeline: z.string(),
  entry_stage: z.string(),
  exit_stage: z.string(),
  stage: z.string(),
  status: z.enum(JOB_STATUSES),
  hop: z.number(),
  retry_count: z.number(),
  priority: z.number(),
  tags: z.record(z.string(), z.string()),
  params: z.record(z.string(), z.unknown()),
  trace_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number(),
  lease: z.object({ owner: z.string(), expires_at: z.number() }).optional(),
  abort_requested: z.string().optional(),
  pause_requested: z.boolean().optional(),
  retry_at: z.string().optional(),
  error: JobErrorSchema.optional(),
  progress: z.object({ percent: z.number(), message: z.string().optional(), at: z.string() }).optional(),
  held_by: z.string().optional(),
  finished_at: z.string().optional(),
  expires_at: z.number().optional(),
}) satisfies z.ZodType<JobRecord>;

export const EventItemSchema = z.object({
  event_id: z.string(),
  type: z.enum(EVENT_TYPES),
  job_id: z.string(),
  tenant_id: z.string(),
  pipeline: z.string(),
  stage: z.string(),
  status: z.enum(JOB_STATUSES),
  hop: z.number(),
  attempt: z.number().optional(),
  time: z.string(),
  trace_id: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
}) satisfies z.ZodType<JobEvent>;

export const ServiceEventSchema = z.object({
  type: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/),
  tenant_id: z.string(),
  job_id: z.string().optional(),
  time: z.string(),
  detail: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<ServiceEvent>;

export const AttemptItemSchema = z.object({
  job_id: z.string(),
  stage: z.string(),
  hop: z.number(),
  attempt: z.number(),
  worker: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_ms: z.number(),
  outcome: z.enum(['completed', 'failed', 'retrying', 'crashed', 'aborted', 'paused', 'interrupted']),
  error: SerializedErrorSchema.optional(),
}) satisfies z.ZodType<AttemptRecord>;

export const HoldItemSchema = z.object({
  hold_id: z.string(),
  tenant_id: z.string(),
  selector: z.record(z.string(), z.string()),
  until: z.string(),
  reason: z.string().optional(),
  created_at: z.string(),
}) satisfies z.ZodType<Hold>;

export const DeadLetterItemSchema = z.object({
  dead_letter_id: z.string(),
  queue: z.string(),
  pipeline: z.string().optional(),
  stage: z.string().optional(),
  job_id: z.string().optional(),
  tenant_id: z.string().optional(),
  code: z.string(),
  reason: z.string(),
  body: z.string(),
  received_at: z.string(),
}) satisfies z.ZodType<DeadLetterRecord>;

export const ConnectionItemSchema = z.object({
  connection_id: z.string(),
  tenant_id: z.string(),
  user_id: z.string().optional(),
  connected_at: z.string(),
  expires_at: z.number().optional(),
}) satisfies z.ZodType<Connection>;

const TopicSchema = z.custom<Topic>((value) => typeof value === 'string' && /^(job|tenant):/.test(value));

export const SubscriptionItemSchema = z.object({
  connection_id: z.string(),
  topic: TopicSchema,
  tenant_id: z.string(),
}) satisfies z.ZodType<Subscription>;

// ---------------------------------------------------------------------------------------------
// Keys. One table holds jobs with their events, attempts, holds and dead letters; a second (or
// the same) holds connections. Sort keys order what a job accumulates.
// ---------------------------------------------------------------------------------------------

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export const keys = {
  job: (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'STATE' }),
  /** Events sort by hop, then time, then their position in the transaction that wrote them. */
  event: (event: JobEvent, index: number) => ({
    pk: `JOB#${event.job_id}`,
    sk: `EVT#${pad(event.hop, 8)}#${event.time}#${pad(index, 2)}#${event.event_id}`,
  }),
  attempt: (attempt: AttemptRecord) => ({
    pk: `JOB#${attempt.job_id}`,
    sk: `ATT#${pad(attempt.hop, 8)}#${attempt.ended_at}#${pad(attempt.attempt, 3)}`,
  }),
  hold: (holdId: string) => ({ pk: 'HOLDS', sk: holdId }),
  deadLetter: (id: string) => ({ pk: 'DEADLETTERS', sk: id }),
  connection: (connectionId: string) => ({ pk: `CONN#${connectionId}`, sk: 'META' }),
  subscriptionByTopic: (topic: Topic, connectionId: string) => ({
    pk: `TOPIC#${topic}`,
    sk: `CONN#${connectionId}`,
  }),
  subscriptionByConnection: (connectionId: string, topic: Topic) => ({
    pk: `CONN#${connectionId}`,
    sk: `SUB#${topic}`,
  }),
};

/** Tenant listings: GSI1 by creation time, GSI2 by status and the time the job entered it. */
export const INDEX = {
  byTenant: 'by-tenant',
  byTenantStatus: 'by-tenant-status',
} as const;

export const statusSortKey = (status: string, since: string): string => `${status}#${since}`;

/** Opaque pagination cursors: the LastEvaluatedKey, base64url-encoded. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value))
      : undefined;
  } catch {
    return undefined;
  }
}
