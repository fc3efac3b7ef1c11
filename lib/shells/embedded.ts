import type { Service } from '../core/api/index.js';
import type { JobService, LimitsConfig, ReconcilerOptions } from '../core/control/index.js';
import type { HoldCache, Topology, WorkerPool } from '../core/engine/index.js';
import type { Backend, Clock, Logger } from '../core/ports/index.js';
import type { Listener, Pipeline } from '../core/sdk/index.js';
import { Deployment, type PoolOptions } from './deployment.js';

export interface RuntimeOptions {
  /** The pipelines to run, or `services` (which also bring their listeners). */
  readonly pipelines?: readonly Pipeline[];
  readonly services?: readonly Service[];
  readonly backend: Backend;
  /** Prefix of every queue name (per environment). @default '' */
  readonly prefix?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Worker pool settings; the pool runs every stage unless `pool.stages` says otherwise. */
  readonly pool?: Omit<PoolOptions, 'maintenanceMs'> & {
    /** How often the upkeep runs (expired holds, the reconciler); 0 disables. @default 5000 */
    readonly holdSweepMs?: number;
  };
  /** How long the hold list is cached by runners. @default 5000 */
  readonly holdCacheMs?: number;
  /** Listeners run in this process on the events it publishes (with `pipelines`). */
  readonly listeners?: readonly Listener[];
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
  /** Stage-level events to the bus always, for every pipeline. @default each pipeline's choice */
  readonly stageEvents?: 'always' | 'watched';
  /** The reconciler's knobs (it runs with the hold sweep). */
  readonly reconcile?: ReconcilerOptions;
  /** Per-tenant limits: submits per minute, jobs running each stage at once. */
  readonly limits?: LimitsConfig;
}

/**
 * Pipelines in one process on one backend — the embedded runtime of tests, benchmarks and the
 * demo: a {@link Deployment} with its listeners in process and a worker pool over every stage.
 */
export class Runtime {
  readonly deployment: Deployment;
  readonly pool: WorkerPool;

  private constructor(options: RuntimeOptions) {
    const services: readonly Service[] = options.services ?? [
      { name: 'embedded', pipelines: options.pipelines ?? [], listeners: options.listeners ?? [] },
    ];
    this.deployment = new Deployment({
      backend: options.backend,
      services,
      inProcessListeners: true,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.holdCacheMs === undefined ? {} : { holdCacheMs: options.holdCacheMs }),
      ...(options.retentionS === undefined ? {} : { retentionS: options.retentionS }),
      ...(options.stageEvents === undefined ? {} : { stageEvents: options.stageEvents }),
      ...(options.reconcile === undefined ? {} : { reconcile: options.reconcile }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    const { holdSweepMs, ...pool } = options.pool ?? {};
    this.pool = this.deployment.pool({ ...pool, maintenanceMs: holdSweepMs ?? 5_000 });
  }

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const runtime = new Runtime(options);
    await runtime.deployment.ensureQueues();
    return runtime;
  }

  get topology(): Topology {
    return this.deployment.topology;
  }

  get jobs(): JobService {
    return this.deployment.jobs;
  }

  get holds(): HoldCache {
    return this.deployment.holds;
  }

  get backend(): Backend {
    return this.deployment.backend;
  }

  start(): this {
    this.pool.start();
    return this;
  }

  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    await this.pool.stop(options);
  }
}
