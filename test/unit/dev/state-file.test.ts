import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { DEV_RECONCILE_GRACE_MS } from '../../../lib/dev/state-file.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { slowService } from '../../support/slow-service.js';
import { eventually } from '../../support/wait.js';

// `stagecoach dev --state <file>`: the embedded backend's jobs, holds and records outlive a restart,
// and the jobs whose queued messages a restart lost get them back from the reconciler.
const caller = { tenantId: 'tenant-a' };
let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const start = (folder: string) =>
  DevRuntime.start({
    backend: 'memory',
    services: [exampleService, slowService],
    port: 0,
    tokensFile: join(folder, 'tokens.json'),
    stateFile: join(folder, 'state.json'),
  });

describe('dev runtime state file', () => {
  it('keeps jobs, their event logs and holds across a restart, and runs what was waiting', async () => {
    // Prepare: a finished job, a held one, and one running when the runtime stops
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-state-'));
    const first = await start(dir);
    const done = await first.jobs.submit(
      { pipeline: 'wordcount', params: { document_id: 'd', text: 'a b b' } },
      caller,
    );
    await first.jobs.waitFor(done.job_id, caller);
    const hold = await first.jobs.setHold(caller, { selector: { batch: 'later' }, ttl_s: 3_600 });
    const held = await first.jobs.submit(
      { pipeline: 'wordcount', params: { document_id: 'h', text: 'x' }, tags: { batch: 'later' } },
      caller,
    );
    await first.jobs.waitFor(held.job_id, caller, { statuses: ['HELD'] });
    const running = await first.jobs.submit({ pipeline: 'slow', params: {} }, caller);
    await first.jobs.waitFor(running.job_id, caller, { statuses: ['RUNNING'] });
    const eventsBefore = (await first.jobs.events(done.job_id, caller)).items;
    await first.stop();
    // Act
    const second = await start(dir);
    try {
      const eventsAfter = (await second.jobs.events(done.job_id, caller)).items;
      const heldAfter = await second.jobs.get(held.job_id, caller);
      const interrupted = await second.jobs.get(running.job_id, caller);
      const holds = await second.jobs.listHolds(caller);
      await second.jobs.clearHold(caller, hold.hold_id);
      const released = await second.jobs.waitFor(held.job_id, caller);
      // The slow job's message went with the first process: the reconciler sends it again.
      const resumed = await eventually(
        async () => {
          const job = await second.jobs.get(running.job_id, caller);
          return job.status === 'RUNNING' ? job : undefined;
        },
        'the interrupted job to run again',
        DEV_RECONCILE_GRACE_MS * 6,
      ).catch(() => second.jobs.get(running.job_id, caller));
      // Assess
      expect(eventsAfter).toEqual(eventsBefore);
      expect(heldAfter.status).toBe('HELD');
      expect(holds.map((h) => h.hold_id)).toEqual([hold.hold_id]);
      expect(released.status).toBe('DONE');
      expect(interrupted.status).toBe('QUEUED');
      expect(resumed.status).toBe('RUNNING');
      await second.jobs.abort(running.job_id, caller);
    } finally {
      await second.stop();
    }
    const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { format: string };
    expect(saved.format).toBe('stagecoach-dev-state');
  });

  it('refuses a state file that is not one, saying how to start afresh', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-state-'));
    await writeFile(join(dir, 'state.json'), '{"jobs": [');
    await expect(start(dir)).rejects.toThrow(/is not valid JSON; move it away \(or delete it\)/);
  });
});
