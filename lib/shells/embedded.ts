import { ListeningPublisher } from '../core/api/listeners.js';
import { JobService } from '../core/control/jobs.js';
import { HoldCache } from '../core/engine/holds.js';
import { Topology } from '../core/engine/topology.js';
import { WorkerPool, type WorkerPoolOptions } from '../core/engine/worker-pool.js';
import type { Backend } from '../core/ports/backend.js';
import { type Clock, systemClock } from '../core/ports/clock.js';
import { type Logger, silentLogger } from '../core/ports/logger.js';
import type { Listener } from '../core/sdk/listener.js';
import type { Pipeline } from '../core/sdk/pipeline.js';

export interface RuntimeOptions {
  readonly pipelines: readonly Pipeline[];
  readonly backend: Backend;
  /** Prefix of every queue name (per environment). @default '' */
  readonly prefix?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Worker pool settings; the pool runs every stage unless `pool.stages` says otherwise. */
  readonly pool?: Omit<
    WorkerPoolOptions,
    'backend' | 'topology' | 'maintenance' | 'holds' | 'clock' | 'logger'
  > & {
    /** How often expired holds are released; 0 disables. @default 5000 */
    readonly holdSweepMs?: number;
  };
  /** How long the hold list is cached by runners. @default 5000 */
  readonly holdCacheMs?: number;
  /**
   * Listeners run in this process on the events it publishes — for embedded deployments. (In AWS
   * the listeners function receives them from EventBridge.)
   */
  readonly listeners?: readonly Listener[];
}

/**
 * Everything a process needs to run pipelines on one backend: the topology, the job service (the
 * API), and a worker pool. `create` makes sure the queues exist.
 */
export class Runtime {
  readonly topology: Topology;
  readonly jobs: JobService;
  readonly pool: WorkerPool;
  readonly holds: HoldCache;
  readonly backend: Backend;

  private constructor(options: RuntimeOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const listeners = options.listeners ?? [];
    this.backend =
      listeners.length === 0
        ? options.backend
        : {
            ...options.backend,
            events: new ListeningPublisher(options.backend.events, listeners, {
              backend: options.backend,
              logger,
            }),
          };
    this.topology = new Topology(options.pipelines, options.prefix);
    this.holds = new HoldCache(this.backend.store, clock, options.holdCacheMs);
    this.jobs = new JobService({
      backend: this.backend,
      topology: this.topology,
      clock,
      logger,
      holds: this.holds,
    });
    const { holdSweepMs, ...pool } = options.pool ?? {};
    const jobs = this.jobs;
    this.pool = new WorkerPool({
      ...pool,
      backend: this.backend,
      topology: this.topology,
      maintenance: { everyMs: holdSweepMs ?? 5_000, run: () => jobs.releaseExpiredHolds() },
      holds: this.holds,
      clock,
      logger,
    });
  }

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const runtime = new Runtime(options);
    for (const spec of runtime.topology.specs()) await options.backend.queue.ensureQueue(spec);
    return runtime;
  }

  start(): this {
    this.pool.start();
    return this;
  }

  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    await this.pool.stop(options);
  }
}
