import type { JobService } from '../control/jobs.js';
import type { Backend } from '../ports/backend.js';
import { NameSchema } from '../ports/contract.js';
import { ConfigError } from '../ports/errors.js';
import type { Logger } from '../ports/logger.js';
import type { Listener } from '../sdk/listener.js';
import type { Pipeline } from '../sdk/pipeline.js';
import type { Route } from './http-api.js';

/** What a service's HTTP routes are built from. */
export interface ServiceContext {
  readonly jobs: JobService;
  readonly backend: Backend;
  readonly logger: Logger;
}

/**
 * A unit of deployment: the pipelines a product runs, the listeners that keep its own records in
 * step with their jobs, and the HTTP routes it adds beside the job API. Every runtime (the Lambda
 * functions, the Fargate worker, `stagecoach dev`, the CDK app) takes the services an environment
 * selects from one registry (lib/pipelines/registry.ts).
 */
export interface Service {
  /** How environments select it (`services` in cdk.json, `--services` of `stagecoach dev`). */
  readonly name: string;
  readonly description?: string;
  readonly pipelines: readonly Pipeline[];
  /** @default none */
  readonly listeners?: readonly Listener[];
  /** @default none */
  readonly routes?: (context: ServiceContext) => readonly Route[];
}

export function defineService(service: Service): Service {
  const problems: string[] = [];
  if (!NameSchema.safeParse(service.name).success) {
    problems.push('name: use 1-24 lower-case letters, digits or -, starting with a letter');
  }
  if (service.pipelines.length === 0 && (service.routes === undefined || service.listeners === undefined)) {
    problems.push('pipelines: a service needs at least one pipeline (or routes and listeners of its own)');
  }
  const listened = new Set(service.pipelines.map((p) => p.name));
  for (const listener of service.listeners ?? []) {
    for (const name of listener.pipelines) {
      if (!listened.has(name)) {
        problems.push(
          `listeners: '${listener.name}' follows pipeline '${name}', which this service does not define`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(`Service '${service.name}'`, problems);
  return Object.freeze({ ...service });
}

/** The services a codebase can deploy, by name; an environment selects some of them. */
export class ServiceRegistry {
  readonly #services: ReadonlyMap<string, Service>;

  constructor(services: readonly Service[]) {
    const byName = new Map<string, Service>();
    const pipelines = new Map<string, string>();
    for (const service of services) {
      if (byName.has(service.name)) {
        throw new ConfigError('Service registry', [`service '${service.name}' is registered twice`]);
      }
      byName.set(service.name, service);
      for (const pipeline of service.pipelines) {
        const owner = pipelines.get(pipeline.name);
        if (owner !== undefined) {
          throw new ConfigError('Service registry', [
            `pipeline '${pipeline.name}' is defined by both '${owner}' and '${service.name}'`,
          ]);
        }
        pipelines.set(pipeline.name, service.name);
      }
    }
    this.#services = byName;
  }

  get names(): readonly string[] {
    return [...this.#services.keys()];
  }

  /** The named services (every registered one when `names` is undefined), in registry order. */
  select(names?: readonly string[]): readonly Service[] {
    if (names === undefined) return [...this.#services.values()];
    const unknown = names.filter((name) => !this.#services.has(name));
    if (unknown.length > 0) {
      throw new ConfigError('Service selection', [
        `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not registered; registered services: ${this.names.join(', ')} (lib/pipelines/registry.ts)`,
      ]);
    }
    return [...this.#services.values()].filter((s) => names.includes(s.name));
  }
}
