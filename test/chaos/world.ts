import { createMemoryBackend, type MemoryBackend } from '../../lib/adapters/memory/index.js';
import type { Caller, JobService, LimitsConfig } from '../../lib/core/control/index.js';
import {
  type JobEvent,
  type JobRecord,
  type JobStatus,
  silentLogger,
  sleep,
} from '../../lib/core/ports/index.js';
import { definePipeline, defineStage, type Pipeline, required } from '../../lib/core/sdk/index.js';
import { Deployment } from '../../lib/shells/deployment.js';
import { Runtime } from '../../lib/shells/embedded.js';
import { atPoint, FaultInjector, type FaultPlan, type FaultPoint, InjectedFault } from './faults.js';

export const tenant: Caller = { tenantId: 'tenant-a' };

/**
 * The backend's own timeouts, short so a sweep of hundreds of runs takes minutes; every wait of
 * the suite derives from them.
 */
export const TIMEOUTS = {
  /** A stage's visibility timeout, and so its lease. */
  visibilityMs: 1_000,
  heartbeatMs: 50,
  /** How long the reconciler leaves a job alone after its last change. */
  reconcileGraceMs: 300,
  /** How long a message whose job write has not landed is kept. */
  orphanGraceMs: 300,
  /** How often the upkeep (reconciler, hold sweep) runs while settling. */
  upkeepMs: 100,
} as const;

/** Retries a stage gets; a receive count past it dead-letters the message. */
const MAX_RETRIES = 4;

/**
 * The longest a run may take to settle once its fault has fired: every message redelivered as
 * often as a queue allows (visibility each time), the orphan and reconcile graces, and a margin
 * of three for a busy machine. Past it the run counts as stuck.
 */
export const SETTLE_BOUND_MS =
  3 *
  (TIMEOUTS.visibilityMs * (MAX_RETRIES + 2) * 3 + TIMEOUTS.orphanGraceMs + 2 * TIMEOUTS.reconcileGraceMs);

/** Process() runs per `job:stage:hop` (side effects: at least once; state and events: once). */
export type Effects = Map<string, number>;

/**
 * a → b → c (→ d …). Stage b waits `slow_ms` (or until its AbortSignal fires), so control actions
 * have a running stage to meet.
 */
export function chainPipeline(effects: Effects, stages = 3): Pipeline {
  const make = (name: string) =>
    defineStage({
      name,
      inputs: { item: required },
      outputs: [`${name}_out`],
      retry: { maxRetries: MAX_RETRIES, backoff: { type: 'fixed', initialDelayMs: 20, jitter: 'none' } },
      visibilityTimeoutMs: TIMEOUTS.visibilityMs,
      heartbeatMs: TIMEOUTS.heartbeatMs,
      async process({ item }, ctx) {
        const key = `${ctx.job.job_id}:${name}:${ctx.job.hop}`;
        effects.set(key, (effects.get(key) ?? 0) + 1);
        const slow = Number(ctx.params.slow_ms ?? 0);
        if (name === 'b' && slow > 0) await sleep(slow, ctx.signal);
        return { [`${name}_out`]: `${name}(${String(item)})` };
      },
    });
  return definePipeline({ name: 'chain', stages: ['a', 'b', 'c', 'd', 'e'].slice(0, stages).map(make) });
}

const isRetryable = (error: unknown): boolean =>
  error instanceof InjectedFault ||
  (error instanceof Error && (error as { retryable?: unknown }).retryable === true) ||
  (error instanceof Error && error.cause instanceof InjectedFault);

/**
 * One deployment on one embedded backend, seen by its workers through a fault injector: the first
 * worker carries the run's fault point; a worker that "crashes" is stopped (its calls all fail
 * from the crash on) and a fresh one takes its place, as a new Lambda instance or task would.
 */
export class World {
  readonly inner: MemoryBackend = createMemoryBackend();
  /** Every event that reached the bus, in order. */
  readonly bus: JobEvent[] = [];
  readonly effects: Effects = new Map();
  readonly injectors: FaultInjector[] = [];
  readonly #first: FaultPlan;
  #later: FaultPlan;
  readonly #concurrency: number | undefined;
  readonly #limits: LimitsConfig | undefined;
  readonly #pipeline: Pipeline;
  #current: Runtime | undefined;
  #replacing: Promise<void> | undefined;
  readonly #retired: Runtime[] = [];
  readonly #stopping: Promise<boolean>[] = [];
  /** What went wrong in the harness's own view (a worker that would not stop). */
  readonly anomalies: string[] = [];
  /** The deployment read without faults, to judge a run (as an operator's console would). */
  readonly observer: Deployment;

  /**
   * @param point the first worker's fault, or a plan for every worker (`later`: the plan of the
   *   workers that replace a crashed one; by default they run without faults).
   */
  constructor(
    point: FaultPoint | FaultPlan | undefined,
    options: {
      readonly later?: FaultPlan;
      readonly stages?: number;
      readonly concurrency?: number;
      readonly limits?: LimitsConfig;
    } = {},
  ) {
    this.#first = typeof point === 'function' ? point : atPoint(point);
    this.#later = options.later ?? atPoint(undefined);
    this.#pipeline = chainPipeline(this.effects, options.stages);
    this.#concurrency = options.concurrency;
    this.#limits = options.limits;
    this.observer = new Deployment({
      backend: this.inner,
      services: [{ name: 'chaos', pipelines: [this.#pipeline] }],
      prefix: 'chaos-',
      logger: silentLogger,
    });
    this.inner.events.subscribe((event) => {
      this.bus.push(event);
    });
  }

  async start(): Promise<this> {
    this.#current = await this.#runtime(this.#first);
    return this;
  }

  /** The counted calls of the first worker (a fault-free run's count sizes the sweep). */
  get calls(): readonly string[] {
    return this.injectors[0]?.calls ?? [];
  }

  /** What the faults hit, in every worker. */
  get fired(): string[] {
    return this.injectors.flatMap((i) => i.fired);
  }

  get runtime(): Runtime {
    if (this.#current === undefined) throw new Error('the world is not started');
    return this.#current;
  }

  async #runtime(plan: FaultPlan): Promise<Runtime> {
    let self: Runtime | undefined;
    const injector: FaultInjector = new FaultInjector(plan, () => this.#crashed(self));
    this.injectors.push(injector);
    const runtime = await Runtime.create({
      pipelines: [this.#pipeline],
      backend: injector.backend(this.inner),
      prefix: 'chaos-',
      logger: silentLogger,
      holdCacheMs: 50,
      stageEvents: 'always',
      reconcile: { graceMs: TIMEOUTS.reconcileGraceMs },
      ...(this.#limits === undefined ? {} : { limits: this.#limits }),
      pool: {
        waitTimeMs: 50,
        holdSweepMs: 0,
        cancelGraceMs: 200,
        orphanGraceMs: TIMEOUTS.orphanGraceMs,
        progressIntervalMs: 100,
        ...(this.#concurrency === undefined ? {} : { concurrency: this.#concurrency }),
      },
    });
    self = runtime;
    runtime.start();
    return runtime;
  }

  /** A worker died: if it was serving, another starts at once; what is left of it is stopped. */
  #crashed(dead: Runtime | undefined): void {
    if (dead === undefined) return;
    this.#retired.push(dead);
    const previous = this.#replacing ?? Promise.resolve();
    this.#replacing = previous.then(async () => {
      if (this.#current === dead || this.#current === undefined)
        this.#current = await this.#runtime(this.#later);
    });
    // A dead worker's stop must end (its calls all fail at once); one that hangs is reported.
    const stopped = dead.stop({ timeoutMs: 50 }).then(
      () => true,
      () => true,
    );
    this.#stopping.push(stopped);
    const timer = setTimeout(() => this.anomalies.push('a crashed worker did not stop within 10 s'), 10_000);
    timer.unref();
    void stopped.then(() => clearTimeout(timer));
  }

  /** Faults stop: no worker, present or future, fails a call any more. */
  calm(): void {
    this.#later = atPoint(undefined);
    for (const injector of this.injectors) injector.disarm();
  }

  /** An API client's call: retried while it fails for a transient reason (as the typed client does). */
  async call<T>(what: string, act: (jobs: JobService) => Promise<T>): Promise<T | Error> {
    for (let attempt = 0; ; attempt++) {
      await this.#replacing;
      try {
        return await act(this.runtime.jobs);
      } catch (error) {
        if (!isRetryable(error)) return error instanceof Error ? error : new Error(String(error));
        if (attempt >= 20) throw new Error(`${what} kept failing: ${String(error)}`);
        await sleep(10 * (attempt + 1));
      }
    }
  }

  /** Reads the job from the backend itself (no fault), or undefined. */
  job(jobId: string): Promise<JobRecord | undefined> {
    return this.inner.store.getJob(tenant.tenantId, jobId);
  }

  /** Polls until `probe` holds or `boundMs` passes; answers whether it held. */
  async until(probe: () => Promise<boolean> | boolean, boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    while (Date.now() < deadline) {
      if (await probe()) return true;
      await sleep(10);
    }
    return false;
  }

  /** Messages anywhere: visible, in flight or delayed, on every lane and dead-letter queue. */
  async messagesLeft(): Promise<number> {
    let left = 0;
    for (const q of this.observer.topology.all()) {
      for (const name of [...q.lanes, q.dlq]) {
        const d = await this.inner.queue.depth(name);
        left += d.visible + d.inFlight + d.delayed;
      }
    }
    return left;
  }

  /**
   * Lets the system heal: runs the upkeep (reconciler, hold sweep) until every job is in one of
   * its expected states and no message is left, or the bound passes.
   */
  async settle(
    expected: ReadonlyMap<string, readonly JobStatus[]>,
    options: { readonly calm?: boolean } = {},
  ): Promise<string | undefined> {
    if (options.calm === true) this.calm();
    await this.#replacing;
    const deadline = Date.now() + SETTLE_BOUND_MS;
    let why = 'not checked';
    while (Date.now() < deadline) {
      await this.runtime.deployment.maintain().catch(() => undefined);
      why = await this.#unsettled(expected);
      if (why === '') return undefined;
      await sleep(TIMEOUTS.upkeepMs);
    }
    return why;
  }

  async #unsettled(expected: ReadonlyMap<string, readonly JobStatus[]>): Promise<string> {
    for (const [jobId, statuses] of expected) {
      const job = await this.job(jobId);
      if (job === undefined) return `job ${jobId} does not exist`;
      if (!statuses.includes(job.status))
        return `job ${jobId} is ${job.status} (expected ${statuses.join('|')})`;
    }
    const left = await this.messagesLeft();
    return left === 0 ? '' : `${left} message(s) left in the queues`;
  }

  async stop(): Promise<void> {
    await this.#replacing;
    await this.#current?.stop({ timeoutMs: 100 }).catch(() => undefined);
    await Promise.race([Promise.all(this.#stopping), sleep(10_000)]);
    await this.inner.events.flush().catch(() => undefined);
  }
}
