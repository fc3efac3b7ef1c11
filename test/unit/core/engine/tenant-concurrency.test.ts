import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { LimitsConfig } from '../../../../lib/core/control/index.js';
import { runningLimitOf } from '../../../../lib/core/control/index.js';
import type { Outcome } from '../../../../lib/core/engine/index.js';
import { throttleDelayMs, throttledTimes } from '../../../../lib/core/engine/tenant-slots.js';
import { ConfigError } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Deployment } from '../../../../lib/shells/deployment.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

// Per-tenant concurrency limits: how many of one tenant's jobs run a stage at once. Counted by the
// stages themselves (how many of a tenant's are inside process() at the same moment).

const running = new Map<string, number>();
const most = new Map<string, number>();

function stage(name: string, ms: number) {
  return defineStage({
    name,
    inputs: { n: required },
    outputs: [],
    process: async (_inputs, ctx) => {
      const key = `${ctx.job.tenant_id}/${name}`;
      running.set(key, (running.get(key) ?? 0) + 1);
      most.set(key, Math.max(most.get(key) ?? 0, running.get(key) ?? 0));
      await new Promise((resolve) => setTimeout(resolve, ms));
      running.set(key, (running.get(key) ?? 1) - 1);
      return {};
    },
  });
}

const pipeline = definePipeline({ name: 'lim', stages: [stage('a', 400), stage('b', 20)] });

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop({ timeoutMs: 1_000 });
  running.clear();
  most.clear();
});

async function runAll(limits: LimitsConfig, jobs: Readonly<Record<string, number>>) {
  const outcomes = new Map<Outcome | 'error', number>();
  runtime = await Runtime.create({
    backend: createMemoryBackend(),
    pipelines: [pipeline],
    limits,
    pool: {
      concurrency: 10,
      holdSweepMs: 0,
      onOutcome: (_stage, outcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1),
    },
  });
  const r = runtime;
  const submitted = await Promise.all(
    Object.entries(jobs).flatMap(([tenantId, count]) =>
      Array.from({ length: count }, (_, n) =>
        r.jobs.submit({ pipeline: 'lim', params: { n } }, { tenantId }).then((job) => ({ job, tenantId })),
      ),
    ),
  );
  r.start();
  const done = await Promise.all(
    submitted.map(({ job, tenantId }) => r.jobs.waitFor(job.job_id, { tenantId }, { timeoutMs: 120_000 })),
  );
  return { done, outcomes };
}

describe('per-tenant concurrency limits', () => {
  it("holds each tenant's running stages at its limit, without retries, and leaves other tenants alone", async () => {
    // Prepare: a at 2 per stage (the default), b at 4 (its own), c at 100 (more than it submits)
    const limits: LimitsConfig = {
      default: { runningPerStage: 2 },
      tenants: { b: { runningPerStage: 4 }, c: { runningPerStage: 100 } },
    };
    // Act
    const { done, outcomes } = await runAll(limits, { a: 8, b: 8, c: 3 });
    // Assess: everyone finished once, first attempt, nothing dead-lettered
    expect(done.map((j) => j.status)).toEqual(Array(19).fill('DONE'));
    expect(done.every((j) => j.retry_count === 0)).toBe(true);
    expect(outcomes.get('dead-lettered') ?? 0).toBe(0);
    // each tenant ran up to its limit on the slow stage and never beyond it
    expect(most.get('a/a')).toBe(2);
    expect(most.get('b/a')).toBe(4);
    expect(most.get('c/a')).toBe(3);
    // the jobs over the limit waited in the queue (each wait one throttled delivery)
    expect(outcomes.get('throttled') ?? 0).toBeGreaterThan(0);
  });

  it('applies a per-stage override and counts each stage apart', async () => {
    // Prepare: stage a at 1, every other stage at 3
    const limits: LimitsConfig = { default: { runningPerStage: 3, running: { 'lim/a': 1 } } };
    // Act
    const { done } = await runAll(limits, { a: 5 });
    // Assess
    expect(done.map((j) => j.status)).toEqual(Array(5).fill('DONE'));
    expect(most.get('a/a')).toBe(1);
    expect(most.get('a/b') ?? 0).toBeLessThanOrEqual(3);
  });
});

describe('limits configuration', () => {
  it("resolves a tenant's own stage setting first, then its default, then the deployment's", () => {
    const limits: LimitsConfig = {
      default: { runningPerStage: 10, running: { 'p/heavy': 2 } },
      tenants: { big: { runningPerStage: 50, running: { 'p/light': 80 } }, small: {} },
    };
    expect(runningLimitOf(limits, 'big', 'p/light')).toBe(80);
    expect(runningLimitOf(limits, 'big', 'p/heavy')).toBe(50);
    expect(runningLimitOf(limits, 'small', 'p/heavy')).toBe(2);
    expect(runningLimitOf(limits, 'other', 'p/light')).toBe(10);
    expect(runningLimitOf({}, 'other', 'p/light')).toBeUndefined();
  });

  it('refuses limits that name a stage the deployment does not have, naming it', () => {
    const build = () =>
      new Deployment({
        backend: createMemoryBackend(),
        services: [{ name: 's', pipelines: [pipeline] }],
        limits: { tenants: { t: { running: { 'lim/zz': 1 } } } },
      });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/'lim\/zz'.*not stages of this deployment/);
  });

  it('backs a throttled message off from 1 s, doubling to 30 s, with jitter; a garbled count reads as 0', () => {
    expect(throttleDelayMs(0, () => 0.5)).toBe(1_000);
    expect(throttleDelayMs(3, () => 0.5)).toBe(8_000);
    expect(throttleDelayMs(20, () => 0.5)).toBe(30_000);
    expect(throttleDelayMs(20, () => 0)).toBe(15_000);
    expect(throttledTimes(undefined)).toBe(0);
    expect(throttledTimes('x')).toBe(0);
    expect(throttledTimes('-3')).toBe(0);
    expect(throttledTimes('4')).toBe(4);
  });
});
