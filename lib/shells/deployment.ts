import type { Service, ServiceContext } from '../core/api/index.js';
import { HttpApi, jobRoutes, ListeningPublisher, LiveApi, LiveFanout, opsRoutes } from '../core/api/index.js';
import {
  JobService,
  type LimitsConfig,
  type ReconcilerOptions,
  runningLimitOf,
  unknownStagesIn,
} from '../core/control/index.js';
import {
  DeadLetterHandler,
  EventPolicy,
  HoldCache,
  newWorkerId,
  type StageEvents,
  StageRunner,
  type TenantStores,
  Topology,
  WorkerPool,
  type WorkerPoolOptions,
} from '../core/engine/index.js';
import type { Backend, LiveChannel } from '../core/ports/index.js';
import { type Clock, ConfigError, type Logger, silentLogger, systemClock } from '../core/ports/index.js';
import type { Listener, Stage } from '../core/sdk/index.js';
import { findStage, type Pipeline } from '../core/sdk/index.js';

/** What one round of upkeep did. */
export interface MaintenanceReport {
  /** Jobs put back on their queue: their hold expired, was cleared, or is gone. */
  readonly released: number;
  /** Jobs whose lost message the reconciler sent again. */
  readonly resent: number;
  /** Jobs the reconciler read. */
  readonly examined: number;
}

export interface DeploymentOptions {
  readonly backend: Backend;
  /** The services this deployment runs (selected from the registry). */
  readonly services: readonly Service[];
  /** Prefix of every queue name (per environment). @default '' */
  readonly prefix?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
  /** How long runners cache the hold list. @default 5000 */
  readonly holdCacheMs?: number;
  /**
   * Run the services' listeners in this process on the events it publishes (an embedded
   * deployment). In AWS the listeners function receives them from EventBridge instead. @default false
   */
  readonly inProcessListeners?: boolean;
  /**
   * Every pipeline's stage-level events to the bus always (as when each pipeline says so), or
   * each pipeline's own choice. @default each pipeline's `stageEvents`
   */
  readonly stageEvents?: StageEvents;
  /** The reconciler's knobs (how soon it re-sends a lost message; docs/reliability.md). */
  readonly reconcile?: ReconcilerOptions;
  /**
   * Per-tenant limits — submits per minute (the API) and jobs running each stage at once (the
   * runners) — a default and overrides per tenant.
   */
  readonly limits?: LimitsConfig;
  /** Runner settings shared by every stage of this process. */
  readonly runner?: {
    readonly progressIntervalMs?: number;
    readonly cancelGraceMs?: number;
    readonly random?: () => number;
    /**
     * Each run's `ctx.storage` and `ctx.records`, per tenant (the AWS shells: on the tenant's
     * session); job state, queues and events stay on `backend`. @default the backend's
     */
    readonly tenantStores?: TenantStores;
  };
}

/** Options of a worker pool built by the deployment; the rest comes from the deployment itself. */
export type PoolOptions = Omit<
  WorkerPoolOptions,
  'backend' | 'topology' | 'holds' | 'clock' | 'logger' | 'maintenance'
> & {
  /** How often this pool runs the deployment's upkeep ({@link Deployment.maintain}); 0: never. @default 0 */
  readonly maintenanceMs?: number;
};

/**
 * The composition root: every runtime — each Lambda function, the Fargate worker, the embedded
 * runtime and `stagecoach dev` — builds the job service, the runners, the APIs and the handlers
 * of a deployment here, from a backend and the services it runs. Nothing else wires the core.
 */
export class Deployment {
  readonly backend: Backend;
  readonly services: readonly Service[];
  readonly pipelines: readonly Pipeline[];
  readonly listeners: readonly Listener[];
  readonly topology: Topology;
  readonly holds: HoldCache;
  /** Which events go to the bus, shared by the job service and every runner of this process. */
  readonly events: EventPolicy;
  readonly jobs: JobService;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly #o: DeploymentOptions;

  constructor(options: DeploymentOptions) {
    this.#o = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.services = options.services;
    this.pipelines = options.services.flatMap((s) => s.pipelines);
    this.listeners = options.services.flatMap((s) => s.listeners ?? []);
    this.backend =
      options.inProcessListeners === true && this.listeners.length > 0
        ? {
            ...options.backend,
            events: new ListeningPublisher(options.backend.events, this.listeners, {
              backend: options.backend,
              logger: this.logger,
            }),
          }
        : options.backend;
    this.topology = new Topology(this.pipelines, options.prefix);
    const unknown = unknownStagesIn(
      options.limits ?? {},
      new Set(this.pipelines.flatMap((p) => p.stages.map((s) => `${p.name}/${s.name}`))),
    );
    if (unknown.length > 0) {
      throw new ConfigError('Limits', [
        `'running' names ${unknown.map((key) => `'${key}'`).join(', ')}, not stages of this deployment; name stages as pipeline/stage`,
      ]);
    }
    this.holds = new HoldCache(this.backend.store, this.clock, options.holdCacheMs);
    this.events = new EventPolicy({
      store: this.backend.store,
      clock: this.clock,
      stageEvents:
        options.stageEvents === 'always' ? () => 'always' : stageEventsOf(this.pipelines, this.listeners),
    });
    this.jobs = new JobService({
      backend: this.backend,
      topology: this.topology,
      clock: this.clock,
      logger: this.logger,
      holds: this.holds,
      events: this.events,
      ...(options.retentionS === undefined ? {} : { retentionS: options.retentionS }),
      ...(options.reconcile === undefined ? {} : { reconcile: options.reconcile }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
  }

  /** Creates the queues of every stage that are missing (embedded and emulated backends). */
  async ensureQueues(): Promise<void> {
    for (const spec of this.topology.specs()) await this.backend.queue.ensureQueue(spec);
  }

  /** The pipeline and stage `pipeline/stage` names; a ConfigError naming the choices otherwise. */
  stage(pipelineName: string, stageName: string): { readonly pipeline: Pipeline; readonly stage: Stage } {
    const pipeline = this.topology.pipelines.get(pipelineName);
    const stage = pipeline === undefined ? undefined : findStage(pipeline, stageName);
    if (pipeline === undefined || stage === undefined) {
      const known = this.pipelines.flatMap((p) => p.stages.map((s) => `${p.name}/${s.name}`));
      throw new ConfigError('Stage selection', [
        `'${pipelineName}/${stageName}' is not a stage of this deployment (stages: ${known.join(', ') || 'none'})`,
      ]);
    }
    return { pipeline, stage };
  }

  /** The runner of one stage, for a Lambda function or an event source. */
  runner(pipeline: Pipeline, stage: Stage, workerId = newWorkerId('lambda')): StageRunner {
    return new StageRunner(pipeline, stage, {
      backend: this.backend,
      topology: this.topology,
      workerId,
      clock: this.clock,
      logger: this.logger,
      holds: this.holds,
      events: this.events,
      ...this.#runnerOptions(),
    });
  }

  /** A worker pool over the stages `options.stages` selects (every stage by default). */
  pool(options: PoolOptions = {}): WorkerPool {
    const { maintenanceMs, ...rest } = options;
    return new WorkerPool({
      ...this.#runnerOptions(),
      ...rest,
      backend: this.backend,
      topology: this.topology,
      holds: this.holds,
      events: this.events,
      clock: this.clock,
      logger: this.logger,
      ...(maintenanceMs === undefined || maintenanceMs <= 0
        ? {}
        : { maintenance: { everyMs: maintenanceMs, run: () => this.maintain() } }),
    });
  }

  /** The job API and every service's routes, behind one router. */
  httpApi(): HttpApi {
    const context: ServiceContext = { jobs: this.jobs, backend: this.backend, logger: this.logger };
    return new HttpApi(
      [
        ...jobRoutes(this.jobs),
        ...opsRoutes({ backend: this.backend, topology: this.topology, jobs: this.jobs, clock: this.clock }),
        ...this.services.flatMap((s) => s.routes?.(context) ?? []),
      ],
      { logger: this.logger },
    );
  }

  liveApi(live: LiveChannel): LiveApi {
    return new LiveApi({
      store: this.backend.store,
      live,
      jobs: this.jobs,
      clock: this.clock,
      logger: this.logger,
      onSubscribed: (tenantId) => this.events.invalidate(tenantId),
    });
  }

  fanout(live: LiveChannel): LiveFanout {
    return new LiveFanout(this.backend.store, live, this.logger);
  }

  deadLetters(): DeadLetterHandler {
    return new DeadLetterHandler({
      backend: this.backend,
      topology: this.topology,
      clock: this.clock,
      logger: this.logger,
      ...(this.#o.retentionS === undefined ? {} : { retentionS: this.#o.retentionS }),
    });
  }

  /**
   * Periodic upkeep: releases the jobs of expired holds (and finishes releases cut short), then
   * reconciles — re-sends the message of any job whose state promises one that is gone.
   */
  async maintain(): Promise<MaintenanceReport> {
    const released = await this.jobs.releaseExpiredHolds();
    if (released > 0) this.logger.info('released jobs of expired holds', { released });
    const reconciled = await this.jobs.reconciler.sweep();
    return {
      released: released + reconciled.released,
      resent: reconciled.resent,
      examined: reconciled.examined,
    };
  }

  #runnerOptions(): Pick<
    WorkerPoolOptions,
    'progressIntervalMs' | 'cancelGraceMs' | 'random' | 'retentionS' | 'runningLimit' | 'tenantStores'
  > {
    const r = this.#o.runner ?? {};
    const limits = this.#o.limits;
    return {
      ...(limits === undefined || !limitsRunning(limits)
        ? {}
        : {
            runningLimit: (tenantId: string, pipeline: string, stage: string) =>
              runningLimitOf(limits, tenantId, `${pipeline}/${stage}`),
          }),
      ...(r.progressIntervalMs === undefined ? {} : { progressIntervalMs: r.progressIntervalMs }),
      ...(r.cancelGraceMs === undefined ? {} : { cancelGraceMs: r.cancelGraceMs }),
      ...(r.random === undefined ? {} : { random: r.random }),
      ...(r.tenantStores === undefined ? {} : { tenantStores: r.tenantStores }),
      ...(this.#o.retentionS === undefined ? {} : { retentionS: this.#o.retentionS }),
    };
  }
}

/** A pipeline's stage events go to the bus always when it says so, or when a listener follows them. */
function stageEventsOf(
  pipelines: readonly Pipeline[],
  listeners: readonly Listener[],
): (pipeline: string) => StageEvents {
  const always = new Set(pipelines.filter((p) => p.stageEvents === 'always').map((p) => p.name));
  for (const listener of listeners) {
    const types = listener.types;
    const followsStages = types === undefined || types.some((type) => type.startsWith('stage.'));
    if (followsStages) for (const name of listener.pipelines) always.add(name);
  }
  return (pipeline) => (always.has(pipeline) ? 'always' : 'watched');
}

/** Whether the limits limit any stage's running jobs (else the runners skip the slot reads). */
function limitsRunning(limits: LimitsConfig): boolean {
  return [limits.default, ...Object.values(limits.tenants ?? {})].some(
    (l) => l?.runningPerStage !== undefined || Object.keys(l?.running ?? {}).length > 0,
  );
}
