import { z } from 'zod';
import { ConfigError } from '../../core/ports/errors.js';

/**
 * Where a Stagecoach deployment's resources are. Every Lambda, the Fargate worker and the dev
 * runtime read the same environment variables, which the CDK app sets from the same names.
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
} as const;

const name = (what: string) =>
  z.string({ error: `is required: the ${what}` }).min(1, `is required: the ${what}`);

export const AwsConfigSchema = z.object({
  region: name('AWS region (e.g. eu-west-1)'),
  /** A local emulator or LocalStack; absent in AWS. */
  endpoint: z.url({ error: 'must be a URL such as http://localhost:4566' }).optional(),
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'may hold only letters, digits, - and _')
    .default(''),
  jobsTable: name('DynamoDB table of jobs, events and attempts'),
  connectionsTable: name('DynamoDB table of WebSocket connections'),
  eventBus: name('EventBridge bus name'),
  eventSource: z.string().min(1).default('stagecoach'),
  bucket: name('S3 bucket for inputs and outputs'),
  /** https://{api-id}.execute-api.{region}.amazonaws.com/{stage}; needed only by functions that push. */
  websocketEndpoint: z.url().optional(),
  retentionDays: z.coerce.number().int().min(1).max(3650).default(90),
});
export type AwsConfig = z.infer<typeof AwsConfigSchema>;
export type AwsConfigInput = z.input<typeof AwsConfigSchema>;

/** Reads the configuration from the environment, failing fast with every variable that is wrong. */
export function loadAwsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  const raw: Record<string, string | undefined> = {};
  for (const [key, variable] of Object.entries(ENV)) {
    const value = env[variable];
    raw[key] = value === undefined || value === '' ? undefined : value;
  }
  raw.connectionsTable ??= raw.jobsTable;
  const parsed = AwsConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0]) as keyof typeof ENV;
    return `${ENV[key] ?? key} ${issue.message}`;
  });
  throw new ConfigError('The environment', problems);
}

/** The environment variables that describe `config` (what the CDK app and the dev runtime set). */
export function configToEnv(config: AwsConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(ENV)) {
    const value = config[key as keyof AwsConfig];
    if (value !== undefined && variable !== ENV.region && variable !== ENV.endpoint)
      env[variable] = String(value);
  }
  return env;
}
