import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type AwsBackend,
  createAwsBackend,
  createClients,
  createStsClient,
  createTenantSessionBackend,
  createTenantSessionStores,
  type TenantScope,
  type TenantSessions,
} from '../../adapters/aws/index.js';
import { type Backend, ConfigError } from '../../core/ports/index.js';
import { registry } from '../../pipelines/registry.js';
import { type ConfigOf, ENV, loadConfig, type Role } from '../config.js';
import { Deployment } from '../deployment.js';
import { PowertoolsLogger } from './powertools-logger.js';

/** Functions that reach the deployment's tables, queues, bus and bucket. */
export type ResourceRole = Exclude<Role, 'wsAuthorizer'>;

/** What every function builds once, at cold start. */
export interface FunctionContext<R extends ResourceRole> {
  readonly config: ConfigOf<R>;
  readonly powertools: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** The function's own adapters (its role's access). */
  readonly backend: AwsBackend;
  readonly deployment: Deployment;
  /**
   * The API and listeners functions with a tenant-session role: the scope each request or event is
   * served in, so the deployment's store, records and blobs use that tenant's session. Undefined
   * otherwise.
   */
  readonly tenantScope?: TenantScope;
  /**
   * With a tenant-session role: the vendor of the API's per-request sessions, or of the stage
   * runners' per-run sessions (their ctx.storage and ctx.records). Undefined otherwise.
   */
  readonly tenantSessions?: TenantSessions;
}

/** Powertools' logger, metrics and tracer for one function. */
export function observability(service: string): { powertools: Logger; metrics: Metrics; tracer: Tracer } {
  return {
    powertools: new Logger({ serviceName: service }),
    metrics: new Metrics({ namespace: 'Stagecoach', serviceName: service }),
    tracer: new Tracer({ serviceName: service }),
  };
}

/**
 * The cold start of a function: its configuration from the environment (failing fast, naming each
 * wrong variable), Powertools, the AWS adapters, and the deployment of the services the environment
 * selects. `eventLingerMs`: stage functions pass a long linger — their events are flushed when each
 * invocation ends, so a whole batch's events leave in a few PutEvents calls.
 */
export function coldStart<R extends ResourceRole>(
  role: R,
  service: string,
  options: { readonly eventLingerMs?: number } = {},
): FunctionContext<R> {
  const config = loadConfig(role);
  const { powertools, metrics, tracer } = observability(service);
  const clients = createClients(config);
  for (const client of [clients.sqs, clients.dynamoDb, clients.eventBridge, clients.s3, clients.management]) {
    if (client !== undefined) tracer.captureAWSv3Client(client);
  }
  const backend = createAwsBackend(config, {
    clients,
    ...(options.eventLingerMs === undefined ? {} : { eventLingerMs: options.eventLingerMs }),
  });
  const roleArn = 'tenantRoleArn' in config ? config.tenantRoleArn : undefined;
  const sts = roleArn === undefined ? undefined : tracer.captureAWSv3Client(createStsClient(config));
  const instrument = (client: DynamoDBClient | S3Client) => tracer.captureAWSv3Client(client);
  // The API acts for each request's caller, the listeners for each event's tenant (both in a
  // TenantScope); a stage runner (role 'stage' or 'worker') for each run's job tenant, in
  // ctx.storage and ctx.records only — its job-state bookkeeping, queues and events stay on the
  // function's own role, as a queue message names its tenant only in its body.
  const tenants =
    sts === undefined || roleArn === undefined || (role !== 'api' && role !== 'listeners')
      ? undefined
      : createTenantSessionBackend(backend, { sts, roleArn, instrument });
  const runs =
    sts === undefined || roleArn === undefined || (role !== 'stage' && role !== 'worker')
      ? undefined
      : createTenantSessionStores(config, { sts, roleArn, instrument });
  const deployed: Backend = tenants?.backend ?? backend;
  const deployment = new Deployment({
    backend: deployed,
    services: registry.select(config.services),
    prefix: config.queuePrefix,
    logger: new PowertoolsLogger(powertools),
    retentionS: config.retentionDays * 86_400,
    ...(config.limits === undefined ? {} : { limits: config.limits }),
    ...(runs === undefined ? {} : { runner: { tenantStores: runs.stores } }),
  });
  const sessions = tenants?.sessions ?? runs?.sessions;
  return {
    config,
    powertools,
    metrics,
    tracer,
    backend,
    deployment,
    ...(tenants === undefined ? {} : { tenantScope: tenants.scope }),
    ...(sessions === undefined ? {} : { tenantSessions: sessions }),
  };
}

/** The WebSocket channel of a function whose configuration requires the endpoint. */
export function liveChannel<T>(live: T | undefined): T {
  if (live === undefined) {
    throw new ConfigError('The environment', [
      `${ENV.websocketEndpoint} is required: the WebSocket API endpoint`,
    ]);
  }
  return live;
}
