import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { definePipeline, defineStage, lookup, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

const caller = { tenantId: 't1' };

describe('GET /pipelines and submit checks', () => {
  it('describes each stage, its inputs as JSON Schema, and refuses a bad submit with the details', async () => {
    const stage = defineStage({
      name: 'detect',
      description: 'finds things',
      inputs: {
        image_id: required,
        threshold: z.number().min(0).max(1).default(0.5),
        model: lookup<string>('Model', (id) => id),
        mode: z.enum(['fast', 'exact']),
      },
      outputs: ['run_id'],
      process: () => ({ run_id: 'r' }),
    });
    const runtime = await Runtime.create({
      backend: createMemoryBackend(),
      pipelines: [definePipeline({ name: 'vision', description: 'one stage', stages: [stage] })],
    });
    const api = runtime.deployment.httpApi();

    const listed = await api.handle({ method: 'GET', path: '/pipelines', query: {}, caller });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          name: 'vision',
          description: 'one stage',
          priority_lanes: 1,
          contract_limit_bytes: 32_768,
          stages: [
            {
              name: 'detect',
              description: 'finds things',
              compute: 'lambda',
              inputs: {
                type: 'object',
                properties: {
                  image_id: { 'x-stagecoach-check': 'function' },
                  threshold: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
                  model: { 'x-stagecoach-check': 'function' },
                  mode: { type: 'string', enum: ['fast', 'exact'] },
                },
                required: ['mode'],
              },
              outputs: ['run_id'],
              max_retries: 2,
              timeout_ms: 60_000,
            },
          ],
        },
      ],
    });

    const refused = await api.handle({
      method: 'POST',
      path: '/jobs',
      query: {},
      caller,
      body: JSON.stringify({ pipeline: 'vision', params: { threshold: 2 } }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: {
        code: 'INVALID_PARAMS',
        message: expect.stringMatching(
          /^Pipeline 'vision' cannot start at stage 'detect': missing required param mode; threshold: /,
        ),
        details: {
          stage: 'detect',
          missing: ['mode'],
          invalid: [expect.stringMatching(/^threshold: Too big/)],
        },
      },
    });
    expect((await runtime.jobs.list(caller)).items).toEqual([]);
  });
});
