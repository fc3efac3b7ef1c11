import { expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { StageRunner, Topology } from '../../../../lib/core/engine/index.js';
import { ManualClock, serializeEnvelope } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { envelope, jobRecord, received } from '../../../support/factories.js';
import { eventually } from '../../../support/wait.js';

// Two copies of one message run in the same process (a duplicate delivery, or a healed forward):
// both see the job QUEUED, the first claims it, an abort is requested, and the second copy's first
// heartbeat finds the job running under the first one's claim with the abort pending. The lease
// names this process's worker id, so it looks like its own — but only the claiming execution may
// settle the abort. (Found by the chaos sweep under load: `stage.started` twice for one attempt.)
const HEARTBEAT_MS = 1_000;
const waitsForAbort = defineStage({
  name: 'a',
  inputs: {},
  outputs: [],
  heartbeatMs: HEARTBEAT_MS,
  process: (_inputs, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
    }),
});
const pipeline = definePipeline({ name: 'p', stages: [waitsForAbort] });

it('lets only the execution that claimed a stage settle its abort; a second copy in the same worker is a duplicate', async () => {
  // Prepare
  const backend = createMemoryBackend();
  const topology = new Topology([pipeline]);
  for (const spec of topology.specs()) await backend.queue.ensureQueue(spec);
  const clock = new ManualClock('2026-06-01T00:00:00.000Z');
  const runner = new StageRunner(pipeline, waitsForAbort, { backend, topology, workerId: 'w1', clock });
  const job = jobRecord({ pipeline: 'p', entry_stage: 'a', exit_stage: 'a', stage: 'a' });
  await backend.store.createJob(job);
  const body = serializeEnvelope(envelope({ ...job, pipeline: 'p', entry_stage: 'a', exit_stage: 'a' }));
  const source = { queue: topology.queueFor('p', 'a', 0) };

  // Act: the first copy starts, then the second 600 ms later (on the manual clock)
  const first = runner.handle(received(body), source);
  clock.advance(600);
  const second = runner.handle(received(body), source);
  // the first copy's heartbeat claims the stage
  clock.advance(HEARTBEAT_MS - 600);
  await eventually(
    async () => (await backend.store.getJob(job.tenant_id, job.job_id))?.status === 'RUNNING',
    'claimed',
    10_000,
  );
  const running = await backend.store.getJob(job.tenant_id, job.job_id);
  await backend.store.transition(job.tenant_id, job.job_id, {
    expect: { version: running?.version ?? 0 },
    set: { abort_requested: 'by request' },
  });
  // the second copy's first heartbeat, then the first copy's next one
  clock.advance(600);
  const duplicate = await second;
  clock.advance(HEARTBEAT_MS);
  const settled = await first;

  // Assess
  const after = await backend.store.getJob(job.tenant_id, job.job_id);
  const runs = (after?.history ?? []).filter((entry) => entry.kind === 'run');
  expect(duplicate.outcome).toBe('duplicate');
  expect(settled.outcome).toBe('aborted');
  expect(after?.status).toBe('ABORTED');
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({
    attempt: 1,
    outcome: 'aborted',
    started_at: Date.parse('2026-06-01T00:00:00.000Z'),
  });
});
