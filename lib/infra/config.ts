import { z } from 'zod';
import { LimitsConfigSchema } from '../core/control/limits.js';
import { ConfigError } from '../core/ports/index.js';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** Domains reserved for examples and tests (RFC 2606, RFC 6761): mail to them reaches nobody. */
const PLACEHOLDER_DOMAIN =
  /@(?:[^@]*\.)?(?:example\.(?:com|net|org)|[^@.]+\.(?:example|test|invalid|localhost))$/i;

/** Concurrency reserved for a function: a floor no other function takes, and a cap on this one. */
const reserved = z.int().min(1).max(10_000).optional();

const AlarmsSchema = z
  .object({
    /** Addresses subscribed to the alarm topic (each confirms by e-mail). */
    emails: z.array(z.email()).default([]),
    /** An existing SNS topic to notify instead of creating one. */
    topicArn: z.string().regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN').optional(),
    /**
     * Refuse to synthesize unless someone receives the alarms (`emails` or `topicArn`). Without a
     * subscriber, an environment that does not require one keeps its notifications in an inbox
     * queue (read it with `aws sqs receive-message`).
     */
    requireSubscriber: z.boolean().default(false),
    /** Alarm when a stage's oldest waiting message is older than this. */
    oldestMessageAgeSeconds: z.int().min(60).max(1_209_600).default(900),
    /**
     * Alarm when the oldest message of a tenant that is not flooding a stage (SQS fair queues:
     * a quiet message group) waits longer than this — the fairness promise, measured.
     */
    quietTenantAgeSeconds: z.int().min(60).max(1_209_600).default(300),
  })
  .strict()
  .superRefine((alarms, ctx) => {
    if (!alarms.requireSubscriber) return;
    if (alarms.emails.length === 0 && alarms.topicArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'nobody would receive the alarms: set alarms.emails or alarms.topicArn in cdk.json, or pass -c alarmEmails=ops@your.org or -c alarmTopicArn=arn:aws:sns:…',
      });
    }
    alarms.emails.forEach((email, i) => {
      if (PLACEHOLDER_DOMAIN.test(email))
        ctx.addIssue({
          code: 'custom',
          path: ['emails', i],
          message: `${email} is a reserved example address that delivers nowhere; name a mailbox someone reads`,
        });
    });
  });

/**
 * One environment's block in cdk.json (`context.environments.<name>`). Everything that differs
 * between dev, staging and prod is here; everything else is a secure default in the constructs.
 */
export const EnvironmentConfigSchema = z
  .object({
    /**
     * The services this environment runs, by their names in lib/pipelines/registry.ts; the functions
     * get them as STAGECOACH_SERVICES. Unset: every registered service.
     */
    services: z
      .array(
        z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'must be a service name from lib/pipelines/registry.ts'),
      )
      .min(1, 'must name at least one service')
      .optional(),
    /** Prefix of every queue name; the functions get it as STAGECOACH_QUEUE_PREFIX. */
    queuePrefix: z
      .string()
      .regex(/^[a-z0-9-]*$/, 'may hold only lower-case letters, digits and -')
      .max(40, 'must be at most 40 characters (queue names are limited to 80)'),
    /** How long job records, events and attempts are kept (DynamoDB TTL). */
    retentionDays: z.int().min(1).max(3650),
    /** `retain` keeps tables, the bucket, the user pool and logs when the stack is deleted. */
    removalPolicy: z.enum(['destroy', 'retain']),
    /** Retention of every log group (functions, API access logs, containers, flow logs). */
    logRetentionDays: z.int().refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    }),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    alarms: AlarmsSchema.default({
      emails: [],
      requireSubscriber: false,
      oldestMessageAgeSeconds: 900,
      quietTenantAgeSeconds: 300,
    }),
    /** Lambda settings of the service functions (stage functions take theirs from the stage's compute). */
    lambda: z
      .object({
        /**
         * Concurrency reserved per function. Each reservation leaves the account's unreserved pool
         * smaller (it must keep 100), so new accounts with a low limit set none.
         */
        reservedConcurrency: z
          .object({
            api: reserved,
            websocket: reserved,
            fanout: reserved,
            deadLetters: reserved,
            listeners: reserved,
            sweeper: reserved,
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({ reservedConcurrency: {} }),
    fargate: z
      .object({
        /** Caps every Fargate stage's task count (below each stage's own `compute.maxTasks`). */
        maxTasks: z.int().min(1).max(1_000).optional(),
        /** 0: tasks run in public subnets with a public IP and no inbound rule; ≥ 1: private subnets behind NAT. */
        natGateways: z.int().min(0).max(3).default(0),
        /** Run the tasks on Fargate Spot (up to ~70 % cheaper; a task may be stopped with two minutes' notice). */
        spot: z.boolean().default(false),
        /**
         * With NAT: interface endpoints for SQS, EventBridge, CloudWatch Logs and ECR, so the
         * workers' AWS traffic stays off the NAT gateways (S3 and DynamoDB always use gateway
         * endpoints). Ignored without NAT.
         */
        vpcEndpoints: z.boolean().default(true),
        /**
         * With NAT and endpoints: the prefix lists of S3 and DynamoDB in the region (`aws ec2
         * describe-managed-prefix-lists`), so the tasks' egress is limited to the VPC's endpoints and
         * these; unset, egress is HTTPS to any address.
         */
        egressPrefixListIds: z
          .array(z.string().regex(/^pl-[0-9a-f]{8,17}$/, 'must be a prefix list id (pl-…)'))
          .default([]),
      })
      .strict()
      .default({ natGateways: 0, spot: false, vpcEndpoints: true, egressPrefixListIds: [] }),
    /**
     * Per-tenant limits, a default for every tenant and overrides per tenant id: submits per minute
     * (the API answers 429 with Retry-After) and jobs running each stage at once (the runners keep
     * the rest waiting). Every function gets them as STAGECOACH_LIMITS.
     */
    limits: LimitsConfigSchema.optional(),
    api: z
      .object({
        throttleRatePerSecond: z.number().positive().max(10_000).default(50),
        throttleBurst: z.int().positive().max(5_000).default(100),
        /** Browser origins allowed to call the HTTP API; none means no CORS. */
        corsAllowOrigins: z.array(z.string().min(1)).default([]),
        /**
         * Creates the account-wide role API Gateway writes WebSocket logs with. Turn off when the
         * account already has one (it is one setting per account and region).
         */
        manageAccountLogRole: z.boolean().default(true),
      })
      .strict()
      .default({
        throttleRatePerSecond: 50,
        throttleBurst: 100,
        corsAllowOrigins: [],
        manageAccountLogRole: true,
      }),
    auth: z
      .object({
        /** `required`: every user sets up TOTP; `optional` lets scripts sign in with a password. */
        mfa: z.enum(['required', 'optional']).default('required'),
      })
      .strict()
      .default({ mfa: 'required' }),
    events: z
      .object({
        /** How long the event archive keeps lifecycle events for replay; 0 keeps them forever. */
        archiveRetentionDays: z.int().min(0).max(3650).default(365),
      })
      .strict()
      .default({ archiveRetentionDays: 365 }),
    /**
     * The web console, hosted in S3 behind CloudFront, signing in through the user pool's hosted
     * UI. Unset: no console is deployed (the API, the CLI and scripts work as before).
     */
    console: z
      .object({
        /** The hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region. */
        domainPrefix: z
          .string()
          .regex(
            /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
            'must be lower-case letters, digits and -, 1-63 long',
          )
          .refine((p) => !/aws|amazon|cognito/.test(p), 'may not contain aws, amazon or cognito'),
        /** Further addresses the hosted UI may send users back to (the CloudFront URL is always one). */
        callbackUrls: z.array(z.url()).default([]),
      })
      .strict()
      .optional(),
    storage: z
      .object({
        /** Deletes stored inputs and outputs this long after they were written; unset keeps them. */
        expireAfterDays: z.int().min(1).optional(),
        /** Origins that may PUT/GET through presigned URLs from a browser. */
        corsAllowOrigins: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ corsAllowOrigins: [] }),
  })
  .strict();

export type EnvironmentConfig = z.infer<typeof EnvironmentConfigSchema>;
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;

/**
 * What `-c` may add to the chosen environment's block at synth time: who receives its alarms
 * (`-c alarmEmails=a@x.org,b@x.org`, `-c alarmTopicArn=arn:aws:sns:…`), so an organisation's
 * addresses need not live in the repository.
 */
export interface EnvironmentOverrides {
  readonly alarmEmails?: readonly string[];
  readonly alarmTopicArn?: string;
}

/** The overrides from the CDK context keys `alarmEmails` (comma-separated) and `alarmTopicArn`. */
export function overridesFromContext(tryGetContext: (key: string) => unknown): EnvironmentOverrides {
  const emails = tryGetContext('alarmEmails');
  const topic = tryGetContext('alarmTopicArn');
  return {
    ...(typeof emails === 'string' && emails.trim() !== ''
      ? {
          alarmEmails: emails
            .split(',')
            .map((e) => e.trim())
            .filter(Boolean),
        }
      : {}),
    ...(typeof topic === 'string' && topic.trim() !== '' ? { alarmTopicArn: topic.trim() } : {}),
  };
}

function withOverrides(block: unknown, overrides: EnvironmentOverrides): unknown {
  if (overrides.alarmEmails === undefined && overrides.alarmTopicArn === undefined) return block;
  if (typeof block !== 'object' || block === null) return block;
  const alarms: unknown = 'alarms' in block ? block.alarms : {};
  const base = typeof alarms === 'object' && alarms !== null ? alarms : {};
  const current: unknown = 'emails' in base ? base.emails : [];
  return {
    ...block,
    alarms: {
      ...base,
      ...(overrides.alarmEmails === undefined
        ? {}
        : { emails: [...(Array.isArray(current) ? current : []), ...overrides.alarmEmails] }),
      ...(overrides.alarmTopicArn === undefined ? {} : { topicArn: overrides.alarmTopicArn }),
    },
  };
}

/** The context key in cdk.json that holds one block per environment. */
export const ENVIRONMENTS_CONTEXT_KEY = 'environments';

/**
 * Picks `environments.<name>` from the CDK context and validates it. Fails with every problem at
 * once, each naming the key (`environments.prod.alarms.emails.0: ...`).
 */
export function environmentConfig(
  environments: unknown,
  name: unknown,
  overrides: EnvironmentOverrides = {},
): EnvironmentConfig {
  const subject = `cdk.json context '${ENVIRONMENTS_CONTEXT_KEY}'`;
  if (typeof environments !== 'object' || environments === null || Array.isArray(environments)) {
    throw new ConfigError(subject, [
      `'${ENVIRONMENTS_CONTEXT_KEY}' must be an object with one block per environment`,
    ]);
  }
  const known = Object.keys(environments);
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError('The environment', [
      `pass one with -c env=<name>; cdk.json defines ${known.join(', ')}`,
    ]);
  }
  const block: unknown = Object.entries(environments).find(([key]) => key === name)?.[1];
  if (block === undefined) {
    throw new ConfigError('The environment', [
      `'${name}' is not in cdk.json; use one of ${known.join(', ')}`,
    ]);
  }
  const parsed = EnvironmentConfigSchema.safeParse(withOverrides(block, overrides));
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    subject,
    parsed.error.issues.map(
      (issue) => `${[ENVIRONMENTS_CONTEXT_KEY, name, ...issue.path.map(String)].join('.')}: ${issue.message}`,
    ),
  );
}
