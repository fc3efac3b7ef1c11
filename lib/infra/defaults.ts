import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * The secure defaults every construct starts from, in one place: encrypted, TLS-only queues;
 * private, encrypted, TLS-only buckets; ESM bundles for one Node.js version.
 */

/** The repository root: the project of the bundled functions and the worker image's build context. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry points of the Lambda functions and the Fargate worker. */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions/', import.meta.url));

/** The worker image's Dockerfile, relative to the build context (the repository root). */
export const WORKER_DOCKERFILE = 'functions/Dockerfile';

/**
 * The Node.js major version Stagecoach runs on in AWS — the Lambda runtime and the worker image's
 * base — chosen here and nowhere else: the newest LTS Lambda offers. Node 20 reached its end of
 * life on 2026-04-30 (Lambda stops creating nodejs20.x functions on 2027-02-01) and the AWS SDK for
 * JavaScript requires Node ≥ 22 from January 2027.
 */
export const NODE_MAJOR = 24;

/**
 * What the bundles are compiled for: the oldest Node.js the code supports (package.json's engines),
 * so the same code runs on these machines' Node 20 and on {@link NODE_MAJOR} in AWS.
 */
export const BUNDLE_TARGET = 'node20';

/** The Lambda runtime of every function: Node.js {@link NODE_MAJOR}. */
export const FUNCTION_RUNTIME = new lambda.Runtime(`nodejs${NODE_MAJOR}.x`, lambda.RuntimeFamily.NODEJS, {
  supportsInlineCode: true,
});

/**
 * The worker image's base: Node.js {@link NODE_MAJOR} on Debian bookworm, slim. `digest` pins it;
 * while it is unset the image follows the tag and every synth warns. This repository was prepared
 * without access to a registry, so the digest is left for the first deployer to record:
 * `docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'`.
 */
export const WORKER_BASE_IMAGE: {
  readonly repository: string;
  readonly tag: string;
  readonly digest?: string;
} = {
  repository: 'node',
  tag: `${NODE_MAJOR}-bookworm-slim`,
};

/** The worker image's base as the Dockerfile's BASE_IMAGE build argument: `node:24-bookworm-slim@sha256:…`. */
export function workerBaseImage(base = WORKER_BASE_IMAGE): string {
  return `${base.repository}:${base.tag}${base.digest === undefined ? '' : `@${base.digest}`}`;
}

export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/** esbuild with the local binary (no Docker): ESM for the runtime's Node.js, minified, with source maps. */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: BUNDLE_TARGET,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // The bundle carries the SDK versions the lockfile pins rather than the runtime's copy.
  externalModules: [],
  // CommonJS dependencies call require(); an ESM bundle has to provide it.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  forceDockerBundling: false,
};

/** Queue settings no stage may weaken: encryption at rest and TLS-only access. */
export const SECURE_QUEUE_PROPS = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const satisfies sqs.QueueProps;

/** Bucket settings no deployment may weaken. */
export const SECURE_BUCKET_PROPS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const satisfies s3.BucketProps;

/** @default log retention of the constructs when none is given. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** @default removal policy of stateful resources when none is given: keep the data. */
export const DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** A log retention in days as the enum CloudWatch Logs constructs take. */
export function retentionDays(days: number): logs.RetentionDays {
  const match = Object.values(logs.RetentionDays).find((value) => value === days);
  if (match === undefined || typeof match === 'string') {
    throw new Error(`${days} is not a retention CloudWatch Logs accepts`);
  }
  return match;
}

/** Whole seconds, rounding up: SQS and Lambda take seconds. */
export const secondsFromMs = (ms: number): Duration => Duration.seconds(Math.ceil(ms / 1000));
