import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { stagecoach } from '../../support/cli.js';

describe('stagecoach jobs and holds', () => {
  let runtime: DevRuntime;
  let dir: string;
  const as = (token = 'dev-token-tenant-a'): string[] => ['--url', runtime.url, '--token', token];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-jobs-cli-'));
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

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    const result = await stagecoach(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('says in one line, without a stack trace, when the dev runtime cannot take its port', async () => {
    const port = new URL(runtime.url).port;
    const result = await stagecoach(['dev', '--port', port, '--tokens', join(dir, 'tokens.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`stagecoach dev: port ${port} is in use; pass another with --port`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('submits a job, watches it to DONE, then lists it, shows it and its events', async () => {
    // Act
    const submitted = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--param',
      'document_id=cli-1',
      '--param',
      'text=to be or not to be',
      '--watch',
    ]);
    const jobId = submitted.stdout.split('\n')[0] ?? '';
    const listed = await stagecoach(['jobs', 'list', ...as(), '--json']);
    const shown = await stagecoach(['jobs', 'get', jobId, ...as()]);
    const events = await stagecoach(['jobs', 'events', jobId, ...as()]);
    // Assess
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toMatch(/stage\.completed\s+ingest/);
    expect(submitted.stdout).toMatch(new RegExp(`${jobId}\\s+wordcount\\s+report\\s+DONE`));
    expect(JSON.parse(listed.stdout).map((j: { job_id: string }) => j.job_id)).toContain(jobId);
    expect(JSON.parse(shown.stdout).params.top_words[0]).toEqual({ word: 'be', n: 2 });
    expect(events.stdout).toMatch(/job\.done/);
  });

  it('exits 1 with the HTTP status and message on API errors, 2 on usage errors', async () => {
    const missing = await stagecoach(['jobs', 'get', 'no-such-job', ...as()]);
    const noToken = await stagecoach(['jobs', 'list', '--url', runtime.url]);
    const badParams = await stagecoach(['jobs', 'submit', 'wordcount', ...as(), '--params', '[1,2]']);
    const unknown = await stagecoach(['jobs', 'submit', 'nope', ...as()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: HTTP 404 JOB_NOT_FOUND: Job 'no-such-job' was not found/);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/a token is needed/);
    expect(badParams.code).toBe(2);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/HTTP 400 UNKNOWN_PIPELINE: Unknown pipeline 'nope'/);
  });

  it('sets, lists and clears a hold', async () => {
    const set = await stagecoach([
      'holds',
      'set',
      ...as(),
      '--selector',
      'provider=acme',
      '--ttl',
      '600',
      '--reason',
      'quota',
    ]);
    const holdId = set.stdout.trim();
    const listed = await stagecoach(['holds', 'list', ...as()]);
    const cleared = await stagecoach(['holds', 'clear', holdId, ...as()]);
    expect(set.code, set.stderr).toBe(0);
    expect(listed.stdout).toContain(holdId);
    expect(listed.stdout).toContain('{"provider":"acme"}');
    expect(cleared.stdout).toMatch(/released 0 job\(s\)/);
  });
});
