import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../lib/core/ports/index.js';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { startStagecoach } from '../../support/cli.js';
import { slowService } from '../../support/slow-service.js';

// Progress as a watcher sees it through the live API: events are fed into the runtime's bus as a
// slow transport would deliver them (late, out of order, many), and the watch must draw them in
// the order of their sequence, at a pace a log can take.

describe('stagecoach jobs watch: progress', () => {
  let runtime: DevRuntime;
  let dir: string;
  const caller = { tenantId: 'tenant-a' };
  const as = (): string[] => ['--url', runtime.url, '--token', 'dev-token-tenant-a'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-progress-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [slowService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const progress = (jobId: string, percent: number, at: number, n = percent): JobEvent => ({
    event_id: `test-${jobId}-${n}`,
    type: 'stage.progress',
    job_id: jobId,
    tenant_id: caller.tenantId,
    pipeline: 'slow',
    stage: 'wait',
    status: 'RUNNING',
    hop: 0,
    attempt: 1,
    time: new Date(Math.floor(at)).toISOString(),
    data: { percent, message: `${Math.round(percent)} of 100 items` },
  });

  /** The times the stage could have sent progress at: from its start until now. */
  const sinceStart = async (jobId: string): Promise<{ from: number; span: number }> => {
    const started = (await runtime.jobs.events(jobId, caller)).items.find((e) => e.type === 'stage.started');
    const from = Date.parse(started?.time ?? '');
    return { from, span: Date.now() - from };
  };

  const stageLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('wait  '));

  it('draws progress in the order of the events, not of their arrival, in whole percents (issue 3)', async () => {
    // Prepare
    const job = await runtime.jobs.submit({ pipeline: 'slow', params: {} }, caller);
    const watch = startStagecoach(['jobs', 'watch', job.job_id, ...as()], {
      STAGECOACH_PROGRESS_INTERVAL: '0',
    });
    await watch.until('wait  running  0%');
    const { from, span } = await sinceStart(job.job_id);
    // Act: 82 % arrives first, then the older 10 %, then 90.4 %.
    await runtime.backend.events.publish([progress(job.job_id, 82, from + (2 * span) / 3)]);
    await runtime.backend.events.publish([progress(job.job_id, 10, from + span / 3)]);
    await runtime.backend.events.publish([progress(job.job_id, 90.4, from + span)]);
    await watch.until('wait  running  90%');
    await runtime.jobs.abort(job.job_id, caller);
    const result = await watch.exited;
    // Assess
    expect(result.code).toBe(1);
    expect(stageLines(result.stdout)).toEqual([
      'wait  queued',
      'wait  running  0%',
      'wait  running  82%  82 of 100 items',
      'wait  running  90%  90 of 100 items',
      expect.stringMatching(/^wait {2}aborted/),
    ]);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^✗ slow job ${job.job_id} ABORTED in `),
    );
  });

  it('keeps a piped log short: a line per stage change, progress at most every few seconds', async () => {
    // Prepare
    const job = await runtime.jobs.submit({ pipeline: 'slow', params: {} }, caller);
    const watch = startStagecoach(['jobs', 'watch', job.job_id, ...as()]);
    await watch.until('wait  running  0%');
    const { from, span } = await sinceStart(job.job_id);
    // Act: a 100,000-item stage reporting 500 times.
    await runtime.backend.events.publish(
      Array.from({ length: 500 }, (_, i) =>
        progress(job.job_id, (100 * i) / 500, from + (span * i) / 500, i + 1),
      ),
    );
    await runtime.backend.events.publish([progress(job.job_id, 99.9, from + span, 1_000)]);
    await runtime.jobs.abort(job.job_id, caller);
    const result = await watch.exited;
    // Assess: the state changes, and no more than a couple of progress lines.
    const lines = stageLines(result.stdout);
    expect(lines.slice(0, 2)).toEqual(['wait  queued', 'wait  running  0%']);
    expect(lines.at(-1)).toMatch(/^wait {2}aborted/);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(result.stdout).not.toMatch(/\d\.\d%/);
  });
});
