import { z } from 'zod';
import { LimitsConfigSchema } from '../core/control/limits.js';
import { ConfigError } from '../core/ports/index.js';

/**
 * Every environment variable a Stagecoach runtime reads, in one place: the CDK app sets them from
 * these names, the Lambda functions and the Fargate worker read them through {@link loadConfig}.
 * A rename happens here and nowhere else.
 */
export const ENV = {
  region: 'AWS_REGION',
  endpoint: 'AWS_ENDPOINT_URL',
  queuePrefix: 'STAGECOACH_QUEUE_PREFIX',
  jobsTable: 'STAGECOACH_JOBS_TABLE',
  connectionsTable: 'STAGECOACH_CONNECTIONS_TABLE',
  eventBus: 'STAGECOACH_EVENT_BUS',
  eventSource: 'STAGECOACH_EVENT_SOURCE',
  bucket: 'STAGECOACH_BUCKET',
  websocketEndpoint: 'STAGECOACH_WS_ENDPOINT',
  retentionDays: 'STAGECOACH_RETENTION_DAYS',
  /** The services this deployment runs (comma-separated names from lib/pipelines/registry.ts). */
  services: 'STAGECOACH_SERVICES',
  /** The stage function: which stage it runs. */
  pipeline: 'STAGECOACH_PIPELINE',
  stage: 'STAGECOACH_STAGE',
  /** The JWT claim that holds the tenant. */
  tenantClaim: 'STAGECOACH_TENANT_CLAIM',
  /** The WebSocket authorizer: the Cognito user pool and app client the tokens come from. */
  userPoolId: 'STAGECOACH_USER_POOL_ID',
  userPoolClientId: 'STAGECOACH_USER_POOL_CLIENT_ID',
  /** The Fargate worker: its stages ("pipeline/stage,..."), messages in flight, stop timeout. */
  workerStages: 'STAGECOACH_STAGES',
  workerConcurrency: 'STAGECOACH_CONCURRENCY',
  workerStopTimeoutMs: 'STAGECOACH_STOP_TIMEOUT_MS',
  /** Set by ECS in every task: the agent's endpoints (the worker's scale-in protection). */
  ecsAgentUri: 'ECS_AGENT_URI',
  /**
   * The API function, the stage runners (Lambda stages, Fargate worker) and the listeners: the
   * role they assume, tagged with the caller's, the job's or the event's tenant, to reach the
   * table and the bucket with that tenant's data only (unset: their own role's access).
   */
  tenantRoleArn: 'STAGECOACH_TENANT_ROLE_ARN',
  /**
   * Every function: per-tenant limits as JSON, e.g. `{"default":{"submitsPerMinute":600,
   * "runningPerStage":20},"tenants":{"acme":{"submitsPerMinute":6000,"running":{"oma/FDD":4}}}}`.
   */
  limits: 'STAGECOACH_LIMITS',
  /** Powertools for AWS Lambda: the lowest level logged. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;
export type EnvKey = keyof typeof ENV;

/** The Cognito custom attribute that holds a user's tenant, and the claim it becomes. */
export const TENANT_ATTRIBUTE = 'tenant_id';
export const TENANT_CLAIM = `custom:${TENANT_ATTRIBUTE}`;

const required = (what: string) => z.string({ error: `is required: ${what}` }).min(1, `is required: ${what}`);
const list = z
  .string()
  .transform((raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .optional();
const wholeNumber = (min: number) =>
  z.coerce
    .number({ error: `must be a whole number of at least ${min}` })
    .int(`must be a whole number of at least ${min}`)
    .min(min, `must be a whole number of at least ${min}`);

/** Where a deployment's AWS resources are: what every function that touches them reads. */
const Resources = z.object({
  region: required('the AWS region (e.g. eu-west-1)'),
  /** A local emulator or LocalStack; absent in AWS. */
  endpoint: z.url({ error: 'must be a URL such as http://localhost:4566' }).optional(),
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'may hold only letters, digits, - and _')
    .default(''),
  jobsTable: required('the DynamoDB table of jobs, events and attempts'),
  connectionsTable: required('the DynamoDB table of WebSocket connections'),
  eventBus: required('the EventBridge bus name'),
  eventSource: z.string().min(1).default('stagecoach'),
  bucket: required('the S3 bucket for inputs and outputs'),
  websocketEndpoint: z.url({ error: 'must be the WebSocket API endpoint URL' }).optional(),
  retentionDays: wholeNumber(1).max(3650).default(90),
  /** Unset: every registered service. */
  services: list,
  /** Per-tenant limits: submits per minute (the API), jobs running each stage at once (runners). */
  limits: z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'must be JSON such as {"default":{"submitsPerMinute":600,"runningPerStage":20}}',
        });
        return z.NEVER;
      }
    })
    .pipe(LimitsConfigSchema)
    .optional(),
});

const tenantClaim = z.string().min(1).default(TENANT_CLAIM);
/** The tenant-session role the API, the stage runners and the listeners vend tenant credentials from. */
const tenantRoleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN')
  .optional();

/** Each function's configuration: the variables it reads and what each must be. */
export const CONFIG = {
  api: Resources.extend({ tenantClaim, tenantRoleArn }),
  stage: Resources.extend({
    tenantRoleArn,
    pipeline: required('the pipeline of the stage this function runs'),
    stage: required('the stage this function runs'),
  }),
  worker: Resources.extend({
    tenantRoleArn,
    /** Unset: every Fargate stage of the selected services. */
    workerStages: list,
    /** 0: each stage's own compute.concurrency. */
    workerConcurrency: wholeNumber(0).default(0),
    workerStopTimeoutMs: wholeNumber(0).default(100_000),
    ecsAgentUri: z.url({ error: 'must be the ECS agent URI ECS sets in a task' }).optional(),
  }),
  websocket: Resources.extend({
    websocketEndpoint: required('the WebSocket API endpoint the function replies through').pipe(z.url()),
  }),
  fanout: Resources.extend({
    websocketEndpoint: required('the WebSocket API endpoint events are pushed through').pipe(z.url()),
  }),
  listeners: Resources.extend({ tenantRoleArn }),
  deadLetters: Resources,
  sweeper: Resources,
  wsAuthorizer: z.object({
    userPoolId: required('the Cognito user pool the tokens come from'),
    userPoolClientId: required('the Cognito app client the tokens are issued to'),
    tenantClaim,
  }),
} as const;
export type Role = keyof typeof CONFIG;
export type ConfigOf<R extends Role> = z.output<(typeof CONFIG)[R]>;
export type ResourcesConfig = z.output<typeof Resources>;

/**
 * Reads one function's configuration from the environment, failing fast with every variable that
 * is missing or wrong, each named (`STAGECOACH_JOBS_TABLE is required: ...`).
 */
export function loadConfig<R extends Role>(role: R, env: NodeJS.ProcessEnv = process.env): ConfigOf<R> {
  return parseEnvironment(CONFIG[role], env);
}

function parseEnvironment<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const variable = key in ENV ? ENV[key as EnvKey] : undefined;
    const value = variable === undefined ? undefined : env[variable];
    raw[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  // One table may hold both jobs and connections.
  if ('connectionsTable' in schema.shape) raw.connectionsTable ??= raw.jobsTable;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    'The environment',
    parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      const given = raw[key];
      return `${key in ENV ? ENV[key as EnvKey] : key} ${issue.message}${given === undefined ? '' : ` (got '${given}')`}`;
    }),
  );
}

/** The variables that describe a deployment's resources (what the CDK app and the tests set). */
export function resourcesToEnv(config: Omit<ResourcesConfig, 'services'> & { services?: readonly string[] }) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || key === 'region' || key === 'endpoint') continue;
    const variable = ENV[key as EnvKey];
    if (variable !== undefined) env[variable] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
