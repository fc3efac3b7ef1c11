import { z } from 'zod';
import type { ServiceEvent } from '../../core/ports/index.js';
import {
  type Connection,
  type DeadLetterRecord,
  EVENT_TYPES,
  type HistoryEntry,
  type Hold,
  JOB_STATUSES,
  type JobEvent,
  type JobRecord,
  MARK_TYPES,
  type Subscription,
  type Topic,
  ValidationError,
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
  stage_hop: z.number().default(0),
  submit_digest: z.string().optional(),
  history: z
    .array(z.string())
    .default([])
    .transform((lines) => lines.map(decodeEntry)),
}) satisfies z.ZodType<JobRecord, unknown>;

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

export const HoldItemSchema = z.object({
  hold_id: z.string(),
  tenant_id: z.string(),
  selector: z.record(z.string(), z.string()),
  until: z.string(),
  reason: z.string().optional(),
  created_at: z.string(),
  state: z.enum(['active', 'releasing']).default('active'),
  parked: z.number().default(0),
}) satisfies z.ZodType<Hold, unknown>;

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
// Keys. Everything a tenant owns has a partition key that starts with its tenant id, so IAM can
// scope a principal to one tenant (`dynamodb:LeadingKeys` like "<tenant>#*"): a job is one item,
// its history inside it; a tenant's holds and dead letters are one partition each. Connections
// (keyed by API Gateway's connection id) live in the connections table.
// ---------------------------------------------------------------------------------------------

/**
 * The tenant registry: the one partition of the jobs table that no tenant owns yet the API writes
 * (registering a tenant for the reconciler), and every attribute a registration writes — so the
 * API function's own role can be granted exactly that (lib/infra/state.ts).
 */
export const TENANT_REGISTRY = {
  partition: 'TENANTS',
  attributes: ['pk', 'sk', 'tenant', 'expires_at'],
} as const;

export const keys = {
  job: (tenantId: string, jobId: string) => ({ pk: `${tenantId}#J#${jobId}`, sk: 'JOB' }),
  hold: (tenantId: string, holdId: string) => ({ pk: `${tenantId}#HOLDS`, sk: holdId }),
  deadLetter: (tenantId: string | null, id: string) => ({ pk: `${tenantId ?? '_'}#DLQ`, sk: `DL#${id}` }),
  record: (tenantId: string, collection: string, id: string) => ({
    pk: `${tenantId}#R#${collection}`,
    sk: id,
  }),
  /** A tenant's counter (rate limits: one per window, with a TTL). */
  counter: (tenantId: string, name: string) => ({ pk: `${tenantId}#COUNTERS`, sk: name }),
  /** A tenant's concurrency pool (one item per stage: its running stages' slots). */
  slots: (tenantId: string, pool: string) => ({ pk: `${tenantId}#SLOTS`, sk: pool }),
  /** The registry of tenants (one small item each), which the reconciler walks. */
  tenant: (tenantId: string) => ({ pk: TENANT_REGISTRY.partition, sk: tenantId }),
  connection: (connectionId: string) => ({ pk: `CONN#${connectionId}`, sk: 'META' }),
  subscriptionByTopic: (topic: Topic, connectionId: string) => ({
    pk: `TOPIC#${topic}`,
    sk: `CONN#${connectionId}`,
  }),
  subscriptionByConnection: (connectionId: string, topic: Topic) => ({
    pk: `CONN#${connectionId}`,
    sk: `SUB#${topic}`,
  }),
  /** One per subscription, under its tenant: "is anyone watching this tenant?" is one small query. */
  watch: (tenantId: string, connectionId: string, topic: Topic) => ({
    pk: `WATCH#${tenantId}`,
    sk: `${connectionId}#${topic}`,
  }),
};

/**
 * The partitions no tenant owns: the tenant registry, and (where one table holds both) the
 * connections, subscriptions and watches. A tenant named like one of them would own it in IAM's
 * eyes (`dynamodb:LeadingKeys` `TENANTS` or `CONN#*`), so no tenant session is vended for them.
 */
export const NON_TENANT_PARTITIONS: readonly string[] = [TENANT_REGISTRY.partition, 'CONN', 'TOPIC', 'WATCH'];

/**
 * Tenant listings: `by-tenant` by creation time (its keys never change: one index write per job);
 * `by-tenant-status` by status and the time the job entered it — written only when the status
 * changes, which a stage that ends before it is claimed never does (QUEUED stays QUEUED from hop to
 * hop). `holds`: every hold of every tenant (few), for the runners' cache and the sweeper.
 */
export const INDEX = {
  byTenant: 'by-tenant',
  byTenantStatus: 'by-tenant-status',
  holds: 'holds',
} as const;

export const statusSortKey = (status: string, since: string, jobId: string): string =>
  `${status}#${since}#${jobId}`;

// ---------------------------------------------------------------------------------------------
// The history as the item keeps it: one short string per entry, so a job's whole story stays in a
// few hundred bytes (a write costs 1 WRU per KiB of the item).
// ---------------------------------------------------------------------------------------------

const OUTCOMES = ['completed', 'failed', 'retrying', 'crashed', 'aborted', 'paused', 'interrupted'] as const;
const SerializedErrorLine = SerializedErrorSchema;
const DataLine = z.record(z.string(), z.unknown());

/** `r|stage|hop|attempt|worker|started|ended|outcome|retry_in_ms|error-json` or `m|type|stage|hop|status|at|data-json`. */
export function encodeEntry(entry: HistoryEntry): string {
  if (entry.kind === 'run') {
    const outcome = entry.outcome === undefined ? '' : String(OUTCOMES.indexOf(entry.outcome));
    return [
      'r',
      entry.stage,
      entry.hop,
      entry.attempt,
      entry.worker,
      entry.started_at,
      entry.ended_at ?? '',
      outcome,
      entry.retry_in_ms ?? '',
      entry.error === undefined ? '' : JSON.stringify(entry.error),
    ].join('|');
  }
  return [
    'm',
    entry.type,
    entry.stage,
    entry.hop,
    entry.status,
    entry.at,
    entry.data === undefined ? '' : JSON.stringify(entry.data),
  ].join('|');
}

function fields(line: string, count: number): string[] {
  // The last field is JSON and may hold '|'.
  const parts = line.split('|');
  return [...parts.slice(0, count - 1), parts.slice(count - 1).join('|')];
}

const int = (text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`not a number in a stored history entry: '${text}'`);
  return n;
};

export function decodeEntry(line: string): HistoryEntry {
  if (line.startsWith('r|')) {
    const [, stage = '', hop, attempt, worker = '', started, ended, outcome, retry, error] = fields(line, 10);
    const known = outcome === undefined || outcome === '' ? undefined : OUTCOMES[int(outcome)];
    return {
      kind: 'run',
      stage,
      hop: int(hop),
      attempt: int(attempt),
      worker,
      started_at: int(started),
      ...(ended === undefined || ended === '' ? {} : { ended_at: int(ended) }),
      ...(known === undefined ? {} : { outcome: known }),
      ...(retry === undefined || retry === '' ? {} : { retry_in_ms: int(retry) }),
      ...(error === undefined || error === '' ? {} : { error: SerializedErrorLine.parse(JSON.parse(error)) }),
    };
  }
  const [, type, stage = '', hop, status, at, data] = fields(line, 7);
  return {
    kind: 'mark',
    type: z.enum(MARK_TYPES).parse(type),
    stage,
    hop: int(hop),
    status: z.enum(JOB_STATUSES).parse(status),
    at: int(at),
    ...(data === undefined || data === '' ? {} : { data: DataLine.parse(JSON.parse(data)) }),
  };
}

/** Opaque pagination cursors: the LastEvaluatedKey, base64url-encoded. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The starting key a cursor carries. With `keys`, the key must have exactly those attributes, each a
 * non-empty string (every key attribute of the tables is a string): a crafted cursor of another
 * shape is the caller's mistake (400), never a query DynamoDB refuses (a 5xx).
 */
export function decodeCursor(
  cursor: string | undefined,
  keys?: readonly string[],
): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const bad = () =>
    new ValidationError(`The cursor '${cursor.slice(0, 40)}' is not one this API gave out.`, {
      code: 'BAD_CURSOR',
    });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string' && typeof v !== 'number'))
    throw bad();
  if (
    keys !== undefined &&
    (entries.length !== keys.length ||
      entries.some(
        ([k, v]) => !keys.includes(k) || typeof v !== 'string' || v.length === 0 || v.length > 1_024,
      ))
  ) {
    throw bad();
  }
  return Object.fromEntries(entries);
}
