import type { Route } from '../core/api/http-api.js';
import type { JobService } from '../core/control/jobs.js';
import type { Backend } from '../core/ports/backend.js';
import type { Logger } from '../core/ports/logger.js';
import type { Listener } from '../core/sdk/listener.js';
import type { Pipeline } from '../core/sdk/pipeline.js';
import { examplePipeline } from './example/index.js';
import { analysisRoutes, omaPipeline, omaStatusListener } from './oma/index.js';

/**
 * The pipelines this deployment runs. The CDK app builds one queue, DLQ and consumer per stage of
 * each; every function and worker resolves its stage here.
 */
export const pipelines: readonly Pipeline[] = [examplePipeline, omaPipeline];

/**
 * The services' listeners: they receive the job events of the pipelines they name. The CDK app
 * routes those events to the listeners function; local runtimes run them in process.
 */
export const listeners: readonly Listener[] = [omaStatusListener];

/** What a service's HTTP routes are built from. */
export interface ServiceContext {
  readonly jobs: JobService;
  readonly backend: Backend;
  readonly logger?: Logger;
}

/**
 * The services' HTTP routes, beside the job API: the API function and the local runtimes serve them
 * behind the same authentication.
 */
export function serviceRoutes(context: ServiceContext): readonly Route[] {
  return [...analysisRoutes(context)];
}
