import { z } from 'zod';
import type { BlobStore } from '../ports/blob-store.js';
import { NameSchema, type Params } from '../ports/contract.js';
import { ConfigError, ContractError, InvalidParamError, MissingParamError } from '../ports/errors.js';
import type { Logger } from '../ports/logger.js';
import type { TenantRecords } from '../ports/record-store.js';
import { type Backoff, DEFAULT_BACKOFF, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';

// ---------------------------------------------------------------------------------------------
// What a stage sees at run time.
// ---------------------------------------------------------------------------------------------

/** Who and where the running job is. */
export interface JobIdentity {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly entry_stage: string;
  readonly exit_stage: string;
  readonly hop: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly retry_count: number;
  readonly priority: number;
  readonly trace_id: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Context a single-value validator receives (for look-ups). */
export interface ValidatorContext {
  readonly param: string;
  readonly params: Readonly<Params>;
  readonly job: JobIdentity;
  readonly storage: BlobStore;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface StageContext {
  readonly job: JobIdentity;
  /** Every param of the job, validated or not. */
  readonly params: Readonly<Params>;
  /** Fires on abort, pause, timeout, lost lease and shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /**
   * The job's tenant's storage: keys are relative to the tenant's prefix, so a key in params can
   * never reach another tenant's object (it is simply not found).
   */
  readonly storage: BlobStore;
  /** The job's tenant's records, for a service's own records (an analysis, its results). */
  readonly records: TenantRecords;
  /**
   * Stable across the retries, takeovers and resumes of this stage of this job (a replay starts a
   * new one): use it to make the stage's own side effects idempotent (an upsert key, a payment's
   * idempotency key). Exactly-once covers the job's state, events and forwards, not what
   * process() does elsewhere (docs/reliability.md).
   */
  readonly idempotencyKey: string;
  /** Reports progress (0..100); coalesced so a hot loop cannot flood subscribers. */
  progress(percent: number, message?: string): void;
}

// ---------------------------------------------------------------------------------------------
// Inputs and outputs.
// ---------------------------------------------------------------------------------------------

/**
 * Validates one param and returns the value the stage receives. Throw MissingParamError,
 * InvalidParamError or NotFoundError (non-retryable), or anything else to retry.
 */
export type Validator<T = unknown> = (value: unknown, ctx: ValidatorContext) => T | Promise<T>;

export type InputSpec = z.ZodType | Validator;
export type InputShape = Readonly<Record<string, InputSpec>>;
export type InputsSpec = InputShape | z.ZodObject;

type InferSpec<S> = S extends z.ZodType
  ? z.output<S>
  : S extends (...args: never[]) => infer R
    ? Awaited<R>
    : never;

export type InferInputs<I> = I extends z.ZodObject
  ? z.output<I>
  : { -readonly [K in keyof I]: InferSpec<I[K]> };

export type OutputsSpec = readonly string[] | z.ZodObject;

export type InferOutputs<O> = O extends readonly (infer K extends string)[]
  ? { [P in K]: unknown }
  : O extends z.ZodObject
    ? z.input<O>
    : never;

// ---------------------------------------------------------------------------------------------
// Definition.
// ---------------------------------------------------------------------------------------------

export type ComputeKind = 'lambda' | 'fargate';

export interface Compute {
  readonly kind: ComputeKind;
  /** Lambda memory, or Fargate task memory. @default 512 (lambda), 2048 (fargate) */
  readonly memoryMb: number;
  /** Fargate task CPU units (1024 = 1 vCPU). @default 1024 */
  readonly cpu: number;
  /** Messages processed at once: Lambda maximum concurrency, or per Fargate task. @default 10 (lambda), 2 (fargate) */
  readonly concurrency: number;
  /** Messages per receive / per Lambda invocation. @default 10 */
  readonly batchSize: number;
  /** Fargate: most tasks the service scales out to. @default 4 */
  readonly maxTasks: number;
  /**
   * Lambda: how long the SQS event source gathers messages before it invokes the function, so
   * batches fill at moderate load (fewer invocations and requests per message). SQS event sources
   * take whole seconds, so this is 0 or a multiple of 1000, at most 300000; 0 invokes as soon as
   * a message is there. @default 1000 (lambda); unset (fargate)
   */
  readonly batchWindowMs?: number;
  /**
   * Lambda: concurrency reserved for the stage's function — a floor no other function can take
   * and a cap on this one. It must cover the event sources' maximum concurrency (`concurrency`,
   * split over the priority lanes), or invocations are throttled and messages come back.
   * @default none (the function draws on the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
}

export interface StageConfig<I extends InputsSpec, O extends OutputsSpec> {
  readonly name: string;
  readonly description?: string;
  /** Required params: a zod object, or one validator (zod schema or function) per param. */
  readonly inputs: I;
  /** The exact keys process() returns (or a zod object of them); merged into params. */
  readonly outputs: O;
  readonly retry?: { readonly maxRetries?: number; readonly backoff?: Partial<Backoff> };
  /** @default 60_000 (lambda), 3_600_000 (fargate) */
  readonly timeoutMs?: number;
  readonly compute?: Partial<Compute> & { readonly kind?: ComputeKind };
  /** How often a running stage renews its lease and reads abort/pause requests. @default 1000 */
  readonly heartbeatMs?: number;
  /**
   * The queue's visibility timeout: how long a received message stays hidden before the stage
   * claims it. @default 6 × the function timeout plus the batching window (lambda, as AWS advises
   * for SQS event sources), 5 min (fargate)
   */
  readonly visibilityTimeoutMs?: number;
  /**
   * The lease a claimed (long-running) stage renews by heartbeat; its message's visibility is cut
   * to it, so a crashed attempt is taken over this long after its last renewal. @default the
   * smaller of 30 s and visibilityTimeoutMs
   */
  readonly leaseMs?: number;
  process(inputs: InferInputs<I>, ctx: StageContext): Promise<InferOutputs<O>> | InferOutputs<O>;
}

/** A stage as the runtime holds it: every option resolved. */
export interface Stage<In = Record<string, unknown>, Out = Record<string, unknown>> {
  readonly name: string;
  readonly description?: string;
  readonly inputs: InputsSpec;
  readonly outputKeys: readonly string[];
  readonly outputSchema?: z.ZodObject;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly compute: Compute;
  readonly heartbeatMs: number;
  readonly visibilityTimeoutMs: number;
  readonly leaseMs: number;
  process(inputs: In, ctx: StageContext): Promise<Out> | Out;
}

const LAMBDA_MAX_TIMEOUT_MS = 15 * 60_000;
/** Time a Lambda shell keeps beyond the stage timeout for bookkeeping (state, forward, events). */
export const LAMBDA_BOOKKEEPING_MS = 30_000;

/** The Lambda function timeout that hosts a stage with this timeout. */
export const lambdaTimeoutMs = (stageTimeoutMs: number): number =>
  Math.min(LAMBDA_MAX_TIMEOUT_MS, Math.ceil((stageTimeoutMs + LAMBDA_BOOKKEEPING_MS) / 1000) * 1000);

const StageOptionsSchema = z.object({
  name: NameSchema,
  timeoutMs: z
    .int()
    .min(1)
    .max(24 * 3_600_000)
    .optional(),
  heartbeatMs: z.int().min(50).max(300_000).optional(),
  visibilityTimeoutMs: z
    .int()
    .min(1_000)
    .max(12 * 3_600_000)
    .optional(),
  leaseMs: z
    .int()
    .min(1_000)
    .max(12 * 3_600_000)
    .optional(),
  retry: z
    .object({
      maxRetries: z.int().min(0).max(50).optional(),
      backoff: z
        .object({
          type: z.enum(['exponential', 'linear', 'fixed']).optional(),
          initialDelayMs: z.number().min(0).optional(),
          multiplier: z.number().min(1).optional(),
          maxDelayMs: z.number().min(0).optional(),
          jitter: z.enum(['none', 'full', 'equal']).optional(),
        })
        .strict()
        .optional(),
    })
    .strict()
    .optional(),
  compute: z
    .object({
      kind: z.enum(['lambda', 'fargate']).optional(),
      memoryMb: z.int().min(128).max(122_880).optional(),
      cpu: z.int().min(256).max(16_384).optional(),
      concurrency: z.int().min(1).max(1_000).optional(),
      batchSize: z.int().min(1).max(10).optional(),
      maxTasks: z.int().min(1).max(1_000).optional(),
      batchWindowMs: z.int().min(0).max(300_000).optional(),
      reservedConcurrency: z.int().min(1).max(10_000).optional(),
    })
    .strict()
    .optional(),
});

/** The batching window of a Lambda stage's event sources when its compute names none. */
export const DEFAULT_BATCH_WINDOW_MS = 1_000;

function isSchema(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

function problemsOf(config: StageConfig<InputsSpec, OutputsSpec>): string[] {
  const problems: string[] = [];
  const parsed = StageOptionsSchema.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'stage'}: ${issue.message}`);
  }
  if (typeof config.process !== 'function')
    problems.push('process: must be a function (inputs, ctx) => outputs');
  const { inputs, outputs } = config;
  if (!(inputs instanceof z.ZodObject)) {
    if (typeof inputs !== 'object' || inputs === null) {
      problems.push('inputs: must be a zod object or a record of validators ({} when the stage needs none)');
    } else {
      for (const [key, spec] of Object.entries(inputs)) {
        if (!isSchema(spec) && typeof spec !== 'function') {
          problems.push(`inputs.${key}: must be a zod schema or a validator function (value, ctx) => value`);
        }
      }
    }
  }
  if (Array.isArray(outputs)) {
    const seen = new Set<string>();
    for (const key of outputs) {
      if (typeof key !== 'string' || key.length === 0)
        problems.push('outputs: keys must be non-empty strings');
      else if (seen.has(key)) problems.push(`outputs: '${key}' is declared twice`);
      seen.add(key);
    }
  } else if (!(outputs instanceof z.ZodObject)) {
    problems.push("outputs: must be an array of keys (['run_id']) or a zod object");
  }
  const kind = config.compute?.kind ?? 'lambda';
  const timeout = config.timeoutMs;
  if (kind === 'lambda' && timeout !== undefined && timeout > LAMBDA_MAX_TIMEOUT_MS - LAMBDA_BOOKKEEPING_MS) {
    problems.push(
      `timeoutMs: ${timeout} ms is too long for a Lambda stage (15 min limit, 30 s kept for bookkeeping); use compute: { kind: 'fargate' }`,
    );
  }
  if (kind === 'lambda' && (config.compute?.memoryMb ?? 512) > 10_240) {
    problems.push('compute.memoryMb: Lambda allows at most 10240 MB; use compute: { kind: "fargate" }');
  }
  const window = config.compute?.batchWindowMs;
  if (window !== undefined && kind === 'lambda' && window % 1_000 !== 0) {
    problems.push(
      `compute.batchWindowMs: ${window} ms is not whole seconds; SQS event sources take 0, 1000, 2000, … up to 300000`,
    );
  }
  for (const key of ['batchWindowMs', 'reservedConcurrency'] as const) {
    if (kind === 'fargate' && config.compute?.[key] !== undefined) {
      problems.push(
        `compute.${key}: applies to Lambda stages only; remove it or use compute: { kind: 'lambda' }`,
      );
    }
  }
  return problems;
}

/** Declares a stage: what it requires, what it produces, and process(). */
export function defineStage<const I extends InputsSpec, const O extends OutputsSpec>(
  config: StageConfig<I, O>,
): Stage<InferInputs<I>, InferOutputs<O>> {
  const problems = problemsOf(config);
  if (problems.length > 0) throw new ConfigError(`Stage '${String(config.name)}'`, problems);
  const kind = config.compute?.kind ?? 'lambda';
  const timeoutMs = config.timeoutMs ?? (kind === 'lambda' ? 60_000 : 3_600_000);
  const batchWindowMs =
    kind === 'lambda' ? (config.compute?.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS) : undefined;
  const visibilityTimeoutMs =
    config.visibilityTimeoutMs ??
    (kind === 'lambda' ? 6 * lambdaTimeoutMs(timeoutMs) + (batchWindowMs ?? 0) : 5 * 60_000);
  const leaseMs = config.leaseMs ?? Math.min(visibilityTimeoutMs, 30_000);
  if (leaseMs > visibilityTimeoutMs) {
    throw new ConfigError(`Stage '${config.name}'`, [
      `leaseMs ${leaseMs} is longer than visibilityTimeoutMs ${visibilityTimeoutMs}: a received message would reappear while its stage still holds the lease; lower leaseMs or raise visibilityTimeoutMs`,
    ]);
  }
  // The lease is renewed once less than half of it is left, checked every heartbeat: a heartbeat
  // of a third of the lease or less renews it in time; a slower one lets it lapse mid-run.
  const heartbeatMs = config.heartbeatMs ?? Math.max(50, Math.min(1_000, Math.floor(leaseMs / 3)));
  if (heartbeatMs > leaseMs / 3) {
    throw new ConfigError(`Stage '${config.name}'`, [
      `heartbeatMs ${heartbeatMs} is more than a third of leaseMs ${leaseMs}: the lease would lapse between heartbeats and another delivery would run the stage again; lower heartbeatMs or raise leaseMs`,
    ]);
  }
  const outputs: OutputsSpec = config.outputs;
  const outputSchema = outputs instanceof z.ZodObject ? outputs : undefined;
  const outputKeys = outputs instanceof z.ZodObject ? Object.keys(outputs.shape) : [...outputs];
  const stage: Stage<InferInputs<I>, InferOutputs<O>> = {
    name: config.name,
    inputs: config.inputs,
    outputKeys,
    retry: {
      maxRetries: config.retry?.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries,
      backoff: { ...DEFAULT_BACKOFF, ...config.retry?.backoff },
    },
    timeoutMs,
    compute: {
      kind,
      memoryMb: config.compute?.memoryMb ?? (kind === 'lambda' ? 512 : 2048),
      cpu: config.compute?.cpu ?? 1024,
      concurrency: config.compute?.concurrency ?? (kind === 'lambda' ? 10 : 2),
      batchSize: config.compute?.batchSize ?? 10,
      maxTasks: config.compute?.maxTasks ?? 4,
      ...(batchWindowMs === undefined ? {} : { batchWindowMs }),
      ...(config.compute?.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: config.compute.reservedConcurrency }),
    },
    heartbeatMs,
    visibilityTimeoutMs,
    leaseMs,
    process: (inputs, ctx) => config.process(inputs, ctx),
    ...(config.description === undefined ? {} : { description: config.description }),
    ...(outputSchema === undefined ? {} : { outputSchema }),
  };
  return Object.freeze(stage);
}

// ---------------------------------------------------------------------------------------------
// Validation of inputs and verification of outputs (called by the runner).
// ---------------------------------------------------------------------------------------------

function describeIssue(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join('; ');
}

/** Validates a job's params against a stage's inputs; all problems are reported at once. */
export async function validateInputs(
  stage: Stage,
  params: Readonly<Params>,
  ctx: Omit<ValidatorContext, 'param'>,
): Promise<Record<string, unknown>> {
  const missing: string[] = [];
  const invalid: string[] = [];
  const values: Record<string, unknown> = {};
  const { inputs } = stage;
  if (inputs instanceof z.ZodObject) {
    const parsed = await inputs.safeParseAsync(params);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '(params)');
      if (issue.path.length === 1 && params[key] === undefined) missing.push(key);
      else invalid.push(`${issue.path.join('.')}: ${issue.message}`);
    }
  } else {
    for (const [key, spec] of Object.entries(inputs)) {
      const value = params[key];
      if (isSchema(spec)) {
        const parsed = await spec.safeParseAsync(value);
        if (parsed.success) values[key] = parsed.data;
        else if (value === undefined) missing.push(key);
        else invalid.push(`${key}: ${describeIssue(parsed.error)}`);
        continue;
      }
      try {
        values[key] = await spec(value, { ...ctx, param: key });
      } catch (error) {
        if (error instanceof MissingParamError) missing.push(key);
        else if (error instanceof InvalidParamError) invalid.push(`${key}: ${error.message}`);
        else throw error;
      }
    }
  }
  if (missing.length === 0 && invalid.length === 0) return values;
  const parts = [
    ...(missing.length > 0
      ? [`missing required param${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`]
      : []),
    ...invalid,
  ];
  const message = `Stage '${stage.name}' cannot run: ${parts.join('; ')}. Fix the params (submit or an earlier stage's outputs) and replay the job.`;
  const first = missing[0];
  if (invalid.length === 0 && first !== undefined)
    throw new MissingParamError(first, message, { context: { missing } });
  throw new InvalidParamError(first ?? String(invalid[0]).split(':')[0] ?? '(params)', message, {
    context: { missing, invalid },
  });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks that process() returned exactly the declared keys (and values the schema accepts). */
export function verifyOutputs(stage: Stage, returned: unknown): Record<string, unknown> {
  const declared = stage.outputKeys;
  if (!isPlainObject(returned)) {
    throw new ContractError(
      `Stage '${stage.name}' process() must return an object with exactly the keys [${declared.join(', ')}]; it returned ${returned === null ? 'null' : Array.isArray(returned) ? 'an array' : typeof returned}.`,
      { code: 'OUTPUT_MISMATCH', context: { stage: stage.name, declared } },
    );
  }
  const present = Object.keys(returned).filter((key) => returned[key] !== undefined);
  const missing = declared.filter((key) => !present.includes(key));
  const unexpected = present.filter((key) => !declared.includes(key));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(unexpected.length > 0 ? [`unexpected ${unexpected.join(', ')}`] : []),
    ];
    throw new ContractError(
      `Stage '${stage.name}' returned keys [${present.join(', ')}] but declares outputs [${declared.join(', ')}]: ${parts.join('; ')}. Return exactly the declared keys, or change the stage's outputs.`,
      {
        code: 'OUTPUT_MISMATCH',
        context: { stage: stage.name, declared, returned: present, missing, unexpected },
      },
    );
  }
  if (stage.outputSchema !== undefined) {
    const parsed = stage.outputSchema.safeParse(returned);
    if (!parsed.success) {
      throw new ContractError(
        `Stage '${stage.name}' returned outputs its schema rejects: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
        { code: 'OUTPUT_INVALID', context: { stage: stage.name } },
      );
    }
    return parsed.data;
  }
  return Object.fromEntries(present.map((key) => [key, returned[key]]));
}
