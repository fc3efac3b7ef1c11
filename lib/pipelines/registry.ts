import { ServiceRegistry } from '../core/api/index.js';
import { exampleService } from './example/service.js';
import { omaService } from './oma/service.js';

/**
 * Every service this codebase can deploy — the one place a new service is registered. An
 * environment runs the services its `services` list in cdk.json names (all of them when absent);
 * `stagecoach dev` runs every one unless `--services` says otherwise. The Lambda functions and the
 * Fargate worker read the same selection from STAGECOACH_SERVICES, which the CDK app sets.
 */
export const registry = new ServiceRegistry([omaService, exampleService]);
