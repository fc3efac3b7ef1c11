import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { stagecoach, startStagecoach } from '../../support/cli.js';

// `stagecoach watch` (issue 9): the tenant's live stream or one job, with no other client.

describe('stagecoach watch', () => {
  let runtime: DevRuntime;
  let dir: string;
  const caller = { tenantId: 'tenant-a' };
  const as = (token = 'dev-token-tenant-a'): string[] => ['--url', runtime.url, '--token', token];
  const submit = (id: string) =>
    runtime.jobs.submit({ pipeline: 'wordcount', params: { document_id: id, text: 'watch me' } }, caller);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-stream-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("tails the tenant's events as tab-separated rows until Ctrl-C, and only its own tenant's", async () => {
    // Prepare
    const watch = startStagecoach(['watch', ...as()]);
    await watch.until('watching the live stream', 'stderr');
    // Act
    const job = await submit('s-1');
    const other = await runtime.jobs.submit(
      { pipeline: 'wordcount', params: { document_id: 's-2', text: 'not yours' } },
      { tenantId: 'tenant-b' },
    );
    await watch.until(`${job.job_id}\twordcount\tjob.done`);
    watch.child.kill('SIGINT');
    const result = await watch.exited;
    // Assess
    expect(result.code).toBe(130);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r.slice(1, 5))).toEqual(
      expect.arrayContaining([
        [job.job_id, 'wordcount', 'job.created', 'ingest'],
        [job.job_id, 'wordcount', 'stage.completed', 'count'],
        [job.job_id, 'wordcount', 'job.done', 'report'],
      ]),
    );
    expect(result.stdout).not.toContain(other.job_id);
  });

  it('prints the raw messages as JSON lines with --json', async () => {
    // Prepare
    const watch = startStagecoach(['watch', ...as(), '--json']);
    await watch.until('watching the live stream', 'stderr');
    // Act
    const job = await submit('s-3');
    await watch.until('"job.done"');
    watch.child.kill('SIGINT');
    const result = await watch.exited;
    // Assess
    const messages = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; event: { job_id: string; type: string } });
    expect(messages.filter((m) => m.event.job_id === job.job_id).map((m) => m.event.type)).toContain(
      'job.done',
    );
    expect(messages.every((m) => m.type === 'event')).toBe(true);
  });

  it('follows one job to its end, as jobs watch does, and fails at once when the stream is out of reach', async () => {
    // Prepare
    const job = await submit('s-4');
    // Act
    const one = await stagecoach(['watch', job.job_id, ...as()]);
    const refused = await stagecoach(['watch', ...as(), '--ws-url', `${runtime.wsUrl}x`]);
    // Assess
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`✓ wordcount job ${job.job_id} DONE`));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: no WebSocket endpoint at ws:\S+\/wsx \(HTTP 404\)/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});
