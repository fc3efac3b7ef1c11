import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

// Tenant fairness: every queue serves its tenants in turn, so one tenant's flood does not hold
// another tenant's jobs back. The bound is counted in the flood's hops, not in seconds.
const FLOOD = 10_000;
const FEW = 10;
const hops = { flood: 0 };
const floodHopsWhenFewDone: number[] = [];

const pipeline = definePipeline({
  name: 'three',
  stages: ['a', 'b', 'c'].map((name) =>
    defineStage({
      name,
      inputs: { n: required },
      outputs: [],
      process: (_inputs, ctx) => {
        if (ctx.job.tenant_id === 'flood') hops.flood += 1;
        else if (name === 'c') floodHopsWhenFewDone.push(hops.flood);
        return {};
      },
    }),
  ),
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop({ timeoutMs: 1_000 });
});

describe('tenant fairness', () => {
  it(`runs a tenant's ${FEW} jobs through a ${FLOOD}-job flood of another after a few of its hops`, async () => {
    // Prepare: the flood is queued first, the few after it, then the workers start
    runtime = await Runtime.create({
      backend: createMemoryBackend(),
      pipelines: [pipeline],
      pool: { concurrency: 8, holdSweepMs: 0 },
    });
    const r = runtime;
    for (let i = 0; i < FLOOD; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, FLOOD - i) }, (_, j) =>
          r.jobs.submit({ pipeline: 'three', params: { n: i + j } }, { tenantId: 'flood' }),
        ),
      );
    }
    const few = await Promise.all(
      Array.from({ length: FEW }, (_, n) =>
        r.jobs.submit({ pipeline: 'three', params: { n } }, { tenantId: 'few' }),
      ),
    );
    // Act
    r.start();
    const done = await Promise.all(
      few.map((job) => r.jobs.waitFor(job.job_id, { tenantId: 'few' }, { timeoutMs: 600_000 })),
    );
    // Assess: each of the few waits behind at most one flood message per stage and worker slot
    // at a time; without fairness they would wait for the whole flood's first stage (10,000 hops).
    expect(done.map((j) => j.status)).toEqual(Array(FEW).fill('DONE'));
    const bound = 3 * (FEW + 8) * 2;
    expect(Math.max(...floodHopsWhenFewDone)).toBeLessThan(bound);
  });
});
