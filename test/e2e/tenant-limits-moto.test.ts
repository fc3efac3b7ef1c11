import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline, defineStage, required } from '../../lib/core/sdk/index.js';
import { Runtime } from '../../lib/shells/embedded.js';
import { awsHarness, motoEndpoint } from '../contract/aws-harness.js';
import type { Harness } from '../contract/harness.js';
import { uniquePrefix } from '../support/factories.js';

// Tenant isolation on moto at a small size. moto takes each message's group (its tenant) but
// delivers in send order — it has no fair queues — so without a limit the few jobs of a tenant
// submitted after a flood wait for the whole flood. With the flooding tenant limited to one running
// stage, its messages over the limit go back to the queue delayed and the other tenant's run in
// the free slots: the bound is counted in the flood's finished stages, not in seconds.
const FLOOD = 20;
const FEW = 5;
const counts = { flood: 0 };
const floodDoneWhenFewDone: number[] = [];

const pipeline = definePipeline({
  name: 'isolate',
  stages: [
    defineStage({
      name: 'work',
      inputs: { n: required },
      outputs: [],
      process: async (_inputs, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (ctx.job.tenant_id === 'flood') counts.flood += 1;
        else floodDoneWhenFewDone.push(counts.flood);
        return {};
      },
    }),
  ],
});

describe.skipIf(motoEndpoint() === undefined)('per-tenant limits on moto', () => {
  let h: Harness;
  let runtime: Runtime;
  beforeAll(async () => {
    h = await awsHarness();
  });
  afterAll(async () => {
    await runtime?.stop({ timeoutMs: 5_000 });
    await h?.close();
  });

  it(`runs a tenant's ${FEW} jobs past another's ${FLOOD}-job flood limited to one running stage`, async () => {
    // Prepare: the flood is queued first, the few after it, then the workers start
    runtime = await Runtime.create({
      backend: h.backend,
      pipelines: [pipeline],
      prefix: uniquePrefix(),
      limits: { tenants: { flood: { runningPerStage: 1 } } },
      pool: { concurrency: 4, holdSweepMs: 0 },
    });
    const r = runtime;
    const flood = await Promise.all(
      Array.from({ length: FLOOD }, (_, n) =>
        r.jobs.submit({ pipeline: 'isolate', params: { n } }, { tenantId: 'flood' }),
      ),
    );
    const few = await Promise.all(
      Array.from({ length: FEW }, (_, n) =>
        r.jobs.submit({ pipeline: 'isolate', params: { n } }, { tenantId: 'few' }),
      ),
    );
    // Act
    r.start();
    const fewDone = await Promise.all(
      few.map((job) => r.jobs.waitFor(job.job_id, { tenantId: 'few' }, { timeoutMs: 300_000 })),
    );
    const floodDone = await Promise.all(
      flood.map((job) => r.jobs.waitFor(job.job_id, { tenantId: 'flood' }, { timeoutMs: 600_000 })),
    );
    // Assess: everything finished once, on its first attempt
    expect([...fewDone, ...floodDone].map((j) => j.status)).toEqual(Array(FLOOD + FEW).fill('DONE'));
    expect([...fewDone, ...floodDone].every((j) => j.retry_count === 0)).toBe(true);
    expect(counts.flood).toBe(FLOOD);
    // In send order the few would start after the whole flood; limited to one at a time, the
    // flood finishes a stage per 0.5 s while the pool cycles its backlog (moto: ~50 requests/s).
    const seen = Math.max(...floodDoneWhenFewDone);
    expect(seen, `the flood had finished ${seen} of ${FLOOD} when the last of the few did`).toBeLessThan(
      (FLOOD * 3) / 4,
    );
  });
});
