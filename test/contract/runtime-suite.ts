import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Caller } from '../../lib/core/control/index.js';
import type { Outcome } from '../../lib/core/engine/index.js';
import type { JobEvent, JobRecord } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage, type Pipeline, required } from '../../lib/core/sdk/index.js';
import { Runtime, type RuntimeOptions } from '../../lib/shells/embedded.js';
import { uniquePrefix } from '../support/factories.js';
import type { EventCollector, Harness, HarnessFactory } from './harness.js';
import { describeRuntimeControl } from './runtime-control.js';
import { describeRuntimeDelivery } from './runtime-delivery.js';
import { describeRuntimeFailures } from './runtime-failures.js';
import { describeRuntimeFlow } from './runtime-flow.js';

export const tenant: Caller = { tenantId: 'tenant-a' };
export const FAST = { type: 'fixed', initialDelayMs: 20, jitter: 'none' } as const;

export interface Calls {
  readonly runs: string[];
}

/** a → b → c; each stage records its run and adds `<stage>_out` to params. */
function makeChain(
  name: string,
  calls: Calls,
  overrides: Partial<Record<'a' | 'b' | 'c', Parameters<typeof defineStage>[0]>> = {},
  visibilityTimeoutMs = 1_000,
) {
  const make = (stage: 'a' | 'b' | 'c') =>
    defineStage({
      name: stage,
      inputs: { item_id: required },
      outputs: [`${stage}_out`],
      retry: { backoff: FAST },
      visibilityTimeoutMs,
      heartbeatMs: 50,
      async process({ item_id }) {
        calls.runs.push(stage);
        return { [`${stage}_out`]: `${stage}(${String(item_id)})` };
      },
      ...overrides[stage],
    });
  return definePipeline({ name, stages: [make('a'), make('b'), make('c')] });
}

/** What the behaviour groups share: the harness, runtimes cleaned up after each test, and helpers. */
export interface RuntimeFixture {
  readonly h: Harness;
  runtime(
    pipelines: readonly Pipeline[],
    options?: Partial<Omit<RuntimeOptions, 'pipelines'>> & { start?: boolean },
  ): Promise<Runtime>;
  events(): Promise<EventCollector>;
  ofJob(collector: EventCollector, job: JobRecord): JobEvent[];
  chain(name: string, calls: Calls, overrides?: Parameters<typeof makeChain>[2]): Pipeline;
  readonly outcomes: { stage: string; outcome: Outcome | 'error' }[];
}

/**
 * Behaviour of the runtime on a backend: retries, non-retryable errors, output verification,
 * entry/exit, duplicates, crash healing, dead letters, timeouts, abort, pause, replay, holds,
 * priorities and graceful stop. Run once per adapter set.
 */
export function describeRuntime(factory: HarnessFactory): void {
  let h: Harness;
  const open: Runtime[] = [];
  const chain = (name: string, calls: Calls, overrides: Parameters<typeof makeChain>[2] = {}) =>
    makeChain(name, calls, overrides, h.stageVisibilityMs);
  const collectors: EventCollector[] = [];
  const outcomes: { stage: string; outcome: Outcome | 'error' }[] = [];

  beforeAll(async () => {
    h = await factory();
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((rt) => rt.stop({ timeoutMs: 2_000 })));
    await Promise.all(collectors.splice(0).map((c) => c.stop()));
    outcomes.length = 0;
  });

  async function runtime(
    pipelines: readonly Pipeline[],
    options: Partial<Omit<RuntimeOptions, 'pipelines'>> & { start?: boolean } = {},
  ): Promise<Runtime> {
    const rt = await Runtime.create({
      pipelines,
      backend: options.backend ?? h.backend,
      prefix: options.prefix ?? uniquePrefix(),
      holdCacheMs: 50,
      // These suites watch the bus for every durable event (tests of the policy are in test/unit).
      stageEvents: 'always',
      pool: {
        waitTimeMs: 200,
        holdSweepMs: 100,
        progressIntervalMs: 100,
        cancelGraceMs: 300,
        onOutcome: (stage, outcome) => outcomes.push({ stage, outcome }),
        ...options.pool,
      },
    });
    open.push(rt);
    if (options.start !== false) rt.start();
    return rt;
  }

  async function events(): Promise<EventCollector> {
    const collector = await h.collectEvents();
    collectors.push(collector);
    return collector;
  }

  const ofJob = (collector: EventCollector, job: JobRecord): JobEvent[] =>
    collector.events().filter((e) => e.job_id === job.job_id);

  const fixture: RuntimeFixture = {
    get h() {
      return h;
    },
    runtime,
    events,
    ofJob,
    chain,
    outcomes,
  };
  describeRuntimeFlow(fixture);
  describeRuntimeFailures(fixture);
  describeRuntimeDelivery(fixture);
  describeRuntimeControl(fixture);
}
