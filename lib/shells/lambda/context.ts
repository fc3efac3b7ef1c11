import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import {
  type AwsBackend,
  type AwsConfig,
  createAwsBackend,
  createClients,
  loadAwsConfig,
} from '../../adapters/aws/index.js';
import { JobService } from '../../core/control/jobs.js';
import { HoldCache } from '../../core/engine/holds.js';
import { Topology } from '../../core/engine/topology.js';
import { systemClock } from '../../core/ports/clock.js';
import type { Logger as CoreLogger } from '../../core/ports/logger.js';
import { pipelines } from '../../pipelines/index.js';
import { PowertoolsLogger } from './powertools-logger.js';

/** What every function builds once, at cold start. */
export interface FunctionContext {
  readonly config: AwsConfig;
  readonly powertools: Logger;
  readonly logger: CoreLogger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  readonly backend: AwsBackend;
  readonly topology: Topology;
  readonly holds: HoldCache;
  readonly jobs: JobService;
}

/**
 * `eventLingerMs`: stage functions pass a long linger — their events are flushed when each
 * invocation ends, so a whole batch's events leave in a few PutEvents calls; functions that answer
 * callers keep the short default.
 */
export function coldStart(
  service: string,
  options: { readonly eventLingerMs?: number } = {},
): FunctionContext {
  const config = loadAwsConfig();
  const powertools = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: 'Stagecoach', serviceName: service });
  const tracer = new Tracer({ serviceName: service });
  const clients = createClients(config);
  for (const client of [clients.sqs, clients.dynamoDb, clients.eventBridge, clients.s3, clients.management]) {
    if (client !== undefined) tracer.captureAWSv3Client(client);
  }
  const logger = new PowertoolsLogger(powertools);
  const backend = createAwsBackend(config, {
    clients,
    ...(options.eventLingerMs === undefined ? {} : { eventLingerMs: options.eventLingerMs }),
  });
  const topology = new Topology(pipelines, config.queuePrefix);
  const holds = new HoldCache(backend.store, systemClock);
  const jobs = new JobService({
    backend,
    topology,
    logger,
    holds,
    retentionS: config.retentionDays * 86_400,
  });
  return { config, powertools, logger, metrics, tracer, backend, topology, holds, jobs };
}
