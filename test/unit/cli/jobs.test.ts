import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { stagecoach } from '../../support/cli.js';

// One output convention for every command: tables on a terminal, tab-separated values when
// piped (what these tests see), --json for machines, and the bare id of what a command creates.

const ESC = '\u001b[';

describe('stagecoach jobs and holds: output', () => {
  let runtime: DevRuntime;
  let dir: string;
  let jobId = '';
  const as = (token = 'dev-token-tenant-a'): string[] => ['--url', runtime.url, '--token', token];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-jobs-cli-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    const submitted = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--param',
      'document_id=cli-1',
      '--param',
      'text=to be or not to be',
    ]);
    jobId = submitted.stdout.trim();
    await runtime.jobs.waitFor(jobId, { tenantId: 'tenant-a' });
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

  it('prints only the id of what a submit creates when piped (issue 1), the job with --json', async () => {
    // Act
    const quiet = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '-q',
      '--param',
      'document_id=cli-2',
      '--param',
      'text=a b',
    ]);
    const json = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--json',
      '--params',
      '{"document_id":"cli-3","text":"c d"}',
    ]);
    // Assess
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(quiet.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      pipeline: 'wordcount',
      params: { document_id: 'cli-3' },
    });
  });

  it('watches a job: a line per stage change when piped, then how it ended', async () => {
    // Act
    const watched = await stagecoach(['jobs', 'watch', jobId, ...as()]);
    // Assess
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines).toContain('ingest  done');
    expect(lines).toContain('report  done');
    expect(lines.at(-1)).toMatch(new RegExp(`^✓ wordcount job ${jobId} DONE in \\d`));
    expect(watched.stdout).not.toContain(ESC);
  });

  it('lists jobs as tab-separated rows with ISO times and durations, pages with --cursor, and as JSON', async () => {
    // Act
    const first = await stagecoach(['jobs', 'list', ...as(), '--limit', '1']);
    const cursor = /next page: --cursor (\S+)/.exec(first.stderr)?.[1] ?? '';
    const second = await stagecoach(['jobs', 'list', ...as(), '--limit', '1', '--cursor', cursor]);
    const json = await stagecoach(['jobs', 'list', ...as(), '--json', '--status', 'done']);
    // Assess
    const row = first.stdout.replace(/\n$/, '').split('\t');
    expect(row).toHaveLength(8);
    expect(row.slice(1, 4)).toEqual(['wordcount', 'report', 'DONE']);
    expect(row[5]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(Number(row[6])).toBeGreaterThan(0);
    expect(cursor).not.toBe('');
    expect(second.stdout.split('\t')[0]).not.toBe(row[0]);
    expect(JSON.parse(json.stdout).map((j: { job_id: string }) => j.job_id)).toContain(jobId);
  });

  it('shows a job, its events and its attempts in the same convention (no raw JSON unless --json)', async () => {
    // Act
    const [shown, asJson, events, attempts] = await Promise.all([
      stagecoach(['jobs', 'get', jobId, ...as()]),
      stagecoach(['jobs', 'get', jobId, ...as(), '--json']),
      stagecoach(['jobs', 'events', jobId, ...as()]),
      stagecoach(['jobs', 'attempts', jobId, ...as()]),
    ]);
    // Assess
    expect(shown.stdout).toMatch(/^status\tDONE at report$/m);
    expect(shown.stdout).toMatch(/^took\t\d+(ms|\.\ds)$/m);
    expect(JSON.parse(asJson.stdout).params.top_words[0]).toEqual({ word: 'be', n: 2 });
    expect(events.stdout).toMatch(/^\S+Z\tjob\.done\treport\tDONE\t2\t1\t/m);
    const tries = attempts.stdout.trim().split('\n');
    expect(tries.map((l) => l.split('\t').slice(0, 4))).toEqual([
      ['ingest', '1', '0', 'completed'],
      ['count', '1', '1', 'completed'],
      ['report', '1', '2', 'completed'],
    ]);
    expect(attempts.stdout).not.toContain('{');
  });

  it('colours only on a terminal unless FORCE_COLOR says so; NO_COLOR loses to FORCE_COLOR as in Node', async () => {
    const plain = await stagecoach(['jobs', 'get', jobId, ...as()], { NO_COLOR: '1' });
    const forced = await stagecoach(['jobs', 'get', jobId, ...as()], { FORCE_COLOR: '1' });
    expect(plain.stdout).not.toContain(ESC);
    expect(forced.stdout).toContain(`${ESC}32mDONE`);
  });

  it('sets, lists and clears a hold; set prints the id when piped, and every holds command has help', async () => {
    // Act
    const set = await stagecoach([
      'holds',
      'set',
      ...as(),
      '--selector',
      'provider=acme',
      '--ttl',
      '10m',
      '--reason',
      'quota',
    ]);
    const holdId = set.stdout.trim();
    const listed = await stagecoach(['holds', 'list', ...as()]);
    const cleared = await stagecoach(['holds', 'clear', holdId, ...as()]);
    const help = await stagecoach(['holds', '--help']);
    // Assess
    expect(set.code, set.stderr).toBe(0);
    expect(holdId).toMatch(/^[0-9a-f-]{36}$/);
    expect(listed.stdout).toMatch(new RegExp(`^${holdId}\\tprovider=acme\\t\\S+Z\\tquota$`, 'm'));
    expect(cleared.stdout).toBe('released 0 job(s)\n');
    expect(help.stdout).toMatch(/list \[options\] +the tenant's holds/);
    expect(help.stdout).toMatch(/set \[options\] +hold jobs whose tags match/);
  });
});
