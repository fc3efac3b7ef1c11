import { z } from 'zod';
import { ContractError } from './errors.js';

/** The job contract is small by design: params carry IDs and references, never payloads. */
export const DEFAULT_CONTRACT_LIMIT_BYTES = 32 * 1024;

/** Identifiers that travel in queue names and keys: letters, digits, `.`, `_`, `:`, `-`, starting with a letter or digit. */
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'use only letters, digits and . _ : -, starting with a letter or digit (so never . or ..)',
  );

/** Pipeline and stage names become SQS queue names, so they are short, lower-case slugs. */
export const NameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,23}$/, 'use 1-24 lower-case letters, digits or -, starting with a letter');

export const PrioritySchema = z.int().min(0).max(9);

export const ParamsSchema = z.record(z.string(), z.unknown());
export type Params = Record<string, unknown>;

export const TagsSchema = z.record(z.string().min(1).max(64), z.string().max(256));

/**
 * The message every stage receives and forwards. `hop` rises by one at every send the framework
 * makes (forward, retry, resume, replay), which is how a stale duplicate is recognised.
 */
export const JobEnvelopeSchema = z.object({
  job_id: IdSchema,
  pipeline: NameSchema,
  entry_stage: NameSchema,
  exit_stage: NameSchema,
  stage: NameSchema,
  hop: z.int().min(0),
  retry_count: z.int().min(0),
  priority: PrioritySchema.default(0),
  tenant_id: IdSchema,
  params: ParamsSchema,
  tags: TagsSchema.default({}),
  created_at: z.iso.datetime(),
  trace_id: z.string().min(1).max(128),
  /** Earliest time the stage may run; used for delays longer than a queue allows. */
  not_before: z.iso.datetime().optional(),
  /** The hop at which the job entered this stage (retries keep it); absent means `hop`. */
  stage_hop: z.int().min(0).optional(),
});

export type JobEnvelope = z.infer<typeof JobEnvelopeSchema>;

/** Formats zod issues as `path: message; path: message` for error messages. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function sizeError(jobId: string, bytes: number, limit: number): ContractError {
  return new ContractError(
    `The job contract of job '${jobId}' is ${bytes} bytes, over the ${limit}-byte (${(limit / 1024).toFixed(0)} KiB) limit. ` +
      'Keep params to IDs and references: put large values in storage (ctx.storage) and pass their keys.',
    { code: 'CONTRACT_TOO_LARGE', context: { jobId, bytes, limit } },
  );
}

/** Serialises an envelope, failing with a clear, non-retryable error when it exceeds the limit. */
export function serializeEnvelope(
  envelope: JobEnvelope,
  limitBytes: number = DEFAULT_CONTRACT_LIMIT_BYTES,
): string {
  const body = JSON.stringify(envelope);
  const bytes = byteLength(body);
  if (bytes > limitBytes) throw sizeError(envelope.job_id, bytes, limitBytes);
  return body;
}

/** Checks that params would fit in a contract without building the whole envelope. */
export function assertContractSize(
  envelope: JobEnvelope,
  limitBytes: number = DEFAULT_CONTRACT_LIMIT_BYTES,
): void {
  serializeEnvelope(envelope, limitBytes);
}

export type EnvelopeParseResult =
  | { readonly success: true; readonly envelope: JobEnvelope }
  | { readonly success: false; readonly error: ContractError };

/** Parses a raw message body into an envelope without throwing. */
export function safeParseEnvelope(
  body: string,
  limitBytes: number = DEFAULT_CONTRACT_LIMIT_BYTES,
): EnvelopeParseResult {
  const bytes = byteLength(body);
  if (bytes > limitBytes) {
    return { success: false, error: sizeError(peekJobId(body) ?? '(unknown)', bytes, limitBytes) };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    return {
      success: false,
      error: new ContractError(
        `The message is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}). A job contract is a JSON object.`,
        { code: 'CONTRACT_MALFORMED', cause },
      ),
    };
  }
  const parsed = JobEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    return {
      success: false,
      error: new ContractError(`The job contract is malformed: ${formatIssues(parsed.error)}.`, {
        code: 'CONTRACT_MALFORMED',
        cause: parsed.error,
      }),
    };
  }
  return { success: true, envelope: parsed.data };
}

/** Parses a raw message body into an envelope, throwing a {@link ContractError} when it is not one. */
export function parseEnvelope(body: string, limitBytes: number = DEFAULT_CONTRACT_LIMIT_BYTES): JobEnvelope {
  const result = safeParseEnvelope(body, limitBytes);
  if (!result.success) throw result.error;
  return result.envelope;
}

/** Best-effort look at a body that may be malformed, to attribute a dead letter to its job. */
export function peekJobId(body: string): string | undefined {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === 'object' && json !== null && 'job_id' in json) {
      const id = IdSchema.safeParse(json.job_id);
      return id.success ? id.data : undefined;
    }
  } catch {
    // not JSON: no job to attribute it to
  }
  return undefined;
}

/** Best-effort hop of a possibly malformed body (see {@link peekJobId}). */
export function peekHop(body: string): number | undefined {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === 'object' && json !== null && 'hop' in json && Number.isInteger(json.hop)) {
      return Number(json.hop);
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** Best-effort tenant of a possibly malformed body (see {@link peekJobId}). */
export function peekTenantId(body: string): string | undefined {
  try {
    const json: unknown = JSON.parse(body);
    if (typeof json === 'object' && json !== null && 'tenant_id' in json) {
      const id = IdSchema.safeParse(json.tenant_id);
      return id.success ? id.data : undefined;
    }
  } catch {
    // not JSON
  }
  return undefined;
}
