import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../lib/dev/moto.js';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { stagecoach, startStagecoach } from '../../support/cli.js';
import { slowService } from '../../support/slow-service.js';

// Messages that point at the cause (issue 5): one line each, naming what to change; a watch that
// loses its live connection goes on polling, and one that loses the API says the job runs on.

describe('stagecoach: errors that point at the cause', () => {
  let runtime: DevRuntime;
  let dir: string;
  const token = ['--token', 'dev-token-tenant-a'];
  const port = (): string => new URL(runtime.url).port;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-errors-'));
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

  it('checks the URL’s shape before connecting, from a flag or the environment', async () => {
    // Act
    const [bare, fromEnv, wsAsHttp] = await Promise.all([
      stagecoach(['jobs', 'list', ...token, '--url', `127.0.0.1:${port()}`]),
      stagecoach(['jobs', 'list', ...token], { STAGECOACH_URL: `localhost:${port()}` }),
      stagecoach(['jobs', 'watch', 'x', ...token, '--url', runtime.url, '--ws-url', runtime.url]),
    ]);
    // Assess
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`did you mean http://127.0.0.1:${port()}?`);
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('STAGECOACH_URL');
    expect(fromEnv.stderr).toContain(`did you mean http://localhost:${port()}?`);
    expect(wsAsHttp.code).toBe(2);
    expect(wsAsHttp.stderr).toContain(`did you mean ${runtime.url.replace('http', 'ws')}?`);
  });

  it('explains TLS spoken to the plain HTTP port in one line, and a port where nothing listens', async () => {
    // Act
    const tls = await stagecoach(['jobs', 'list', ...token, '--url', runtime.url.replace('http:', 'https:')]);
    const free = await freePort();
    const closed = await stagecoach(['jobs', 'list', ...token, '--url', `http://127.0.0.1:${free}`]);
    // Assess
    expect(tls.code).toBe(1);
    expect(tls.stderr).toBe(
      `error: 127.0.0.1:${port()} answered in plain HTTP, not TLS: use ${runtime.url} (--url)\n`,
    );
    expect(closed.code).toBe(1);
    expect(closed.stderr).toBe(
      `error: nothing is listening at 127.0.0.1:${free} (connection refused); is the API running (stagecoach dev), and is --url right?\n`,
    );
  });

  it('explains a wrong WebSocket path in one line and keeps following the job by polling', async () => {
    // Act
    const watched = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...token,
      '--url',
      runtime.url,
      '--ws-url',
      `${runtime.wsUrl.replace(/\/ws$/, '')}/nows`,
      '--param',
      'document_id=ws-1',
      '--param',
      'text=polling still works',
      '--watch',
    ]);
    // Assess
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr.trim().split('\n')).toHaveLength(1);
    expect(watched.stderr).toMatch(
      /^warning: no WebSocket endpoint at ws:\/\/\S+\/nows \(HTTP 404\): stagecoach dev serves ws:\/\/\S+\/ws, .*; check --ws-url — following job \S+ by polling instead\n$/,
    );
    expect(watched.stdout).toMatch(/✓ wordcount job \S+ DONE/);
    expect(watched.stderr).not.toContain('--token');
  });

  it('says the job keeps running, and how to resume watching, when the API goes away mid-watch', async () => {
    // Prepare: a second runtime with a job that runs until aborted.
    const other = await DevRuntime.start({
      backend: 'memory',
      services: [slowService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    const caller = { tenantId: 'tenant-a' };
    const job = await other.jobs.submit({ pipeline: 'slow', params: {} }, caller);
    const watch = startStagecoach(['jobs', 'watch', job.job_id, ...token, '--url', other.url]);
    await watch.until('wait  running');
    // Act: the API goes (the stages run on).
    await other.gateway.stop();
    const result = await watch.exited;
    await other.jobs.abort(job.job_id, caller);
    await other.stop();
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`lost the API while watching job ${job.job_id}`);
    expect(result.stderr).toContain(
      `The job keeps running; resume watching with: stagecoach jobs watch ${job.job_id}`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toContain('warning: the live connection closed');
  });
});
