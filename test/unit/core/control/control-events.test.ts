import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { JobEvent } from '../../../../lib/core/ports/index.js';
import { StagecoachError } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage, required } from '../../../../lib/core/sdk/index.js';
import { Runtime } from '../../../../lib/shells/embedded.js';

// A control action's event reaches the bus at least once: when the bus refuses it, the caller is
// told to repeat (503, retryable) and the repeat, which changes nothing more, publishes it again.
const caller = { tenantId: 'acme' };
const pipeline = definePipeline({
  name: 'docs',
  stages: [defineStage({ name: 'read', inputs: { doc: required }, outputs: [], process: () => ({}) })],
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

async function setup() {
  const backend = createMemoryBackend();
  const onBus: JobEvent[] = [];
  backend.events.subscribe((e) => {
    onBus.push(e);
  });
  let refuse = 0;
  const publish = backend.events.publish.bind(backend.events);
  backend.events.publish = (events) => {
    if (refuse > 0) {
      refuse--;
      return Promise.reject(new Error('the bus is throttling'));
    }
    return publish(events);
  };
  runtime = await Runtime.create({ backend, pipelines: [pipeline], pool: { holdSweepMs: 0 } });
  return { r: runtime, onBus, refuseNext: () => (refuse = 1) };
}

describe('control actions publish their events at least once', () => {
  it('answers a retryable 503 when a submit’s event is refused, and the repeat publishes it', async () => {
    // Prepare
    const { r, onBus, refuseNext } = await setup();
    const request = { pipeline: 'docs', job_id: 'j1', params: { doc: 'd' } };
    refuseNext();
    // Act
    const first = await r.jobs.submit(request, caller).catch((e: unknown) => e);
    const stored = await r.backend.store.getJob('acme', 'j1');
    const repeat = await r.jobs.submitted(request, caller);
    await r.backend.events.flush();
    // Assess
    expect(first).toBeInstanceOf(StagecoachError);
    expect(first).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    expect((first as Error).message).toMatch(/repeat the request \(it is safe\)/);
    expect(stored?.status).toBe('QUEUED');
    expect(repeat.created).toBe(false);
    expect(onBus.filter((e) => e.type === 'job.created' && e.job_id === 'j1')).toHaveLength(1);
  });

  it('publishes an abort’s event again when the abort is repeated', async () => {
    // Prepare: a job waiting in its queue (no worker runs), so the abort ends it at once
    const { r, onBus, refuseNext } = await setup();
    await r.jobs.submit({ pipeline: 'docs', job_id: 'j2', params: { doc: 'd' } }, caller);
    refuseNext();
    // Act
    const first = await r.jobs.abort('j2', caller, 'not needed').catch((e: unknown) => e);
    const again = await r.jobs.abort('j2', caller, 'not needed');
    await r.backend.events.flush();
    // Assess
    expect(first).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(again.status).toBe('ABORTED');
    const aborted = onBus.filter((e) => e.type === 'job.aborted' && e.job_id === 'j2');
    expect(aborted).toHaveLength(1);
    const log = (await r.jobs.events('j2', caller)).items;
    expect(log.at(-1)?.event_id).toBe(aborted[0]?.event_id);
  });
});
