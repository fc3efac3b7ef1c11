import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { defineService, dispatchToListeners } from '../../../../lib/core/api/index.js';
import type { JobEvent } from '../../../../lib/core/ports/index.js';
import { ConfigError, silentLogger } from '../../../../lib/core/ports/index.js';
import { defineListener, definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { jobEvent } from '../../../support/factories.js';
import { eventually } from '../../../support/wait.js';

const pipeline = definePipeline({
  name: 'watched',
  stages: [defineStage({ name: 'only', inputs: {}, outputs: [], process: () => ({}) })],
});

describe('listeners', () => {
  it('receive the durable events of their pipelines, in process, and may write records', async () => {
    // Prepare: a listener that projects job statuses into a record, as a service would.
    const seen: JobEvent[] = [];
    const projector = defineListener({
      name: 'projector',
      pipelines: ['watched'],
      async handle(event, ctx) {
        seen.push(event);
        await ctx.backend.records.putRecord(event.tenant_id, 'projections', event.job_id, {
          last: event.type,
        });
      },
    });
    const backend = createMemoryBackend();
    const runtime = await Runtime.create({ pipelines: [pipeline], backend, listeners: [projector] });
    runtime.start();
    // Act
    const job = await runtime.jobs.submit({ pipeline: 'watched' }, { tenantId: 't' });
    await runtime.jobs.waitFor(job.job_id, { tenantId: 't' });
    await runtime.backend.events.flush();
    await runtime.stop();
    // Assess
    expect(seen.map((e) => e.type)).toEqual(['job.created', 'stage.started', 'stage.completed', 'job.done']);
    expect((await backend.records.getRecord('t', 'projections', job.job_id))?.data).toEqual({
      last: 'job.done',
    });
  });

  it('skip other pipelines, progress and unlisted types; a failing listener does not stop the others', async () => {
    const ran: string[] = [];
    const failing = defineListener({
      name: 'failing',
      pipelines: ['p'],
      handle: async () => {
        ran.push('failing');
        throw new Error('boom');
      },
    });
    const done = defineListener({
      name: 'done-only',
      pipelines: ['p'],
      types: ['job.done'],
      handle: async (e) => void ran.push(`done:${e.type}`),
    });
    const ctx = { backend: createMemoryBackend(), logger: silentLogger };
    const base = { job_id: 'j', tenant_id: 't', pipeline: 'p' };
    expect(
      await dispatchToListeners([done], jobEvent({ ...base, pipeline: 'other' }, { type: 'job.done' }), ctx),
    ).toBe(0);
    expect(await dispatchToListeners([done], jobEvent(base, { type: 'stage.progress' }), ctx)).toBe(0);
    await expect(
      dispatchToListeners([failing, done], jobEvent(base, { type: 'job.done' }), ctx),
    ).rejects.toThrow('boom');
    expect(ran).toEqual(['failing', 'done:job.done']);
  });

  it('are checked when defined', () => {
    expect(() => defineListener({ name: 'Bad Name', pipelines: [], handle: async () => undefined })).toThrow(
      ConfigError,
    );
  });

  it('run in the dev runtime on the embedded backend', async () => {
    const { DevRuntime } = await import('../../../../lib/dev/runtime.js');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const seen: string[] = [];
    const runtime = await DevRuntime.start({
      backend: 'memory',
      services: [
        defineService({
          name: 'watching',
          pipelines: [pipeline],
          listeners: [
            defineListener({
              name: 'l',
              pipelines: ['watched'],
              types: ['job.done'],
              handle: async (e) => void seen.push(e.job_id),
            }),
          ],
        }),
      ],
      port: 0,
      tokensFile: join(await mkdtemp(join(tmpdir(), 'sc-')), 'tokens.json'),
    });
    const job = await runtime.jobs.submit({ pipeline: 'watched' }, { tenantId: 't' });
    await eventually(() => seen.includes(job.job_id), 'the listener');
    await runtime.stop();
    expect(seen).toEqual([job.job_id]);
  });
});
