import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { ManualClock } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

// Per-tenant submit rate limits: counted per tenant and minute in the store, answered 429 with
// Retry-After over the limit; repeats of a submitted job are not counted; other tenants go on.
async function setup() {
  const clock = new ManualClock('2026-12-03T10:00:20.000Z');
  const runtime = await Runtime.create({
    backend: createMemoryBackend(),
    clock,
    pipelines: [
      definePipeline({
        name: 'docs',
        stages: [defineStage({ name: 'read', inputs: { doc: required }, outputs: [], process: () => ({}) })],
      }),
    ],
    limits: { default: { submitsPerMinute: 3 }, tenants: { big: { submitsPerMinute: 5 } } },
  });
  const api = runtime.deployment.httpApi();
  const submit = (tenantId: string, job_id?: string) =>
    api.handle({
      method: 'POST',
      path: '/jobs',
      query: {},
      caller: { tenantId },
      body: JSON.stringify({
        pipeline: 'docs',
        params: { doc: 'd' },
        ...(job_id === undefined ? {} : { job_id }),
      }),
    });
  return { clock, submit };
}

describe('per-tenant submit rate limits', () => {
  it('answers 429 with Retry-After past the limit, per tenant, and lets the next minute in', async () => {
    // Prepare
    const { clock, submit } = await setup();
    // Act
    const small = [];
    for (let i = 0; i < 4; i++) small.push((await submit('small', `j${i}`)).status);
    const refused = await submit('small');
    const repeat = await submit('small', 'j0');
    const big = [];
    for (let i = 0; i < 6; i++) big.push((await submit('big')).status);
    clock.advance(40_000);
    const nextMinute = await submit('small');
    // Assess
    expect(small).toEqual([201, 201, 201, 429]);
    expect(refused.status).toBe(429);
    expect(refused.headers?.['retry-after']).toBe('40');
    expect(refused.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message:
          "Tenant 'small' may submit 3 jobs per minute and has reached that; try again in 40 s, or ask for a higher limit.",
        details: { retry_after_s: 40 },
      },
    });
    expect(repeat.status).toBe(200);
    expect(big).toEqual([201, 201, 201, 201, 201, 429]);
    expect(nextMinute.status).toBe(201);
  });
});
