import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { exampleService } from '../../../lib/pipelines/example/service.js';
import { stagecoach } from '../../support/cli.js';

// Mistakes are refused before any request, exit 2, and say what is valid. The runtime counts the
// jobs created, so a refused submit is seen to have created nothing.

describe('stagecoach: validation before any request', () => {
  let runtime: DevRuntime;
  let dir: string;
  const as = (token = 'dev-token-tenant-a'): string[] => ['--url', runtime.url, '--token', token];
  const caller = { tenantId: 'tenant-a' };
  const jobCount = async (): Promise<number> =>
    (await runtime.jobs.list(caller, { limit: 1_000 })).items.length;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-validation-'));
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

  it('refuses a submit the entry stage would refuse, naming every missing and invalid param (issue 2)', async () => {
    // Prepare
    const before = await jobCount();
    // Act
    const none = await stagecoach(['jobs', 'submit', 'wordcount', ...as()]);
    const typo = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--param',
      'txt=hello',
      '--param',
      'document_id=d1',
    ]);
    const tooLong = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--params',
      JSON.stringify({ text: 'x'.repeat(16_001), document_id: '' }),
    ]);
    // Assess
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /^error: wordcount cannot start at stage 'ingest': missing text, document_id\n/,
    );
    expect(none.stderr).toMatch(/^ {2}text +required +text \(1–16000 chars\)$/m);
    expect(none.stdout).toBe('');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("'txt' is not a param of stage 'ingest': did you mean text?");
    expect(tooLong.stderr).toContain('text: expected text (1–16000 chars), got "xxxxx');
    expect(tooLong.stderr).toContain('document_id: expected text (1–64 chars), got ""');
    expect(await jobCount()).toBe(before);
  });

  it('types a --param as its schema wants it: document_id=1 is text, top=1 a number', async () => {
    // Act
    const submitted = await stagecoach([
      'jobs',
      'submit',
      'wordcount',
      ...as(),
      '--json',
      '--param',
      'document_id=1',
      '--param',
      'text=one two two',
      '--param',
      'top=1',
    ]);
    // Assess
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(JSON.parse(submitted.stdout).params).toEqual({ document_id: '1', text: 'one two two', top: 1 });
  });

  it('checks flag values with typed parsers: usage errors exit 2 with the valid values (issue 4)', async () => {
    // Act
    const [ttl, limit, status, priority, command, subcommand] = await Promise.all([
      stagecoach(['holds', 'set', ...as(), '--selector', 'a=b', '--ttl', 'abc']),
      stagecoach(['jobs', 'list', ...as(), '--limit', 'abc']),
      stagecoach(['jobs', 'list', ...as(), '--status', 'DONEE']),
      stagecoach(['jobs', 'submit', 'wordcount', ...as(), '--priority', '12']),
      stagecoach(['jbos']),
      stagecoach(['jobs', 'sumbit']),
    ]);
    // Assess
    for (const result of [ttl, limit, status, priority, command, subcommand]) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).not.toMatch(/received (null|NaN)/);
    }
    expect(ttl.stderr).toContain('Expected a duration such as 600, 90s, 10m, 2h or 1d');
    expect(limit.stderr).toContain('Expected an integer from 1 to 1000');
    expect(status.stderr).toContain(
      'Expected one of QUEUED, RUNNING, RETRY_WAITING, PAUSED, HELD, DONE, FAILED, ABORTED (did you mean DONE?)',
    );
    expect(priority.stderr).toContain('Expected an integer from 0 to 9');
    expect(command.stderr).toContain('(Did you mean jobs?)');
    expect(subcommand.stderr).toContain('(Did you mean submit?)');
  });

  it('names the valid pipelines and stages (issue 7): unknown pipeline, --entry, and replay --from', async () => {
    // Prepare: a finished job to replay.
    const job = await runtime.jobs.submit(
      { pipeline: 'wordcount', params: { document_id: 'r1', text: 'to be' } },
      caller,
    );
    await runtime.jobs.waitFor(job.job_id, caller);
    // Act
    const [pipeline, entry, from] = await Promise.all([
      stagecoach(['jobs', 'submit', 'wordcont', ...as()]),
      stagecoach(['jobs', 'submit', 'wordcount', ...as(), '--entry', 'counts']),
      stagecoach(['jobs', 'replay', job.job_id, ...as(), '--from', 'nope']),
    ]);
    const override = await stagecoach([
      'jobs',
      'replay',
      job.job_id,
      ...as(),
      '--from',
      'report',
      '--param',
      'top=99',
    ]);
    // Assess
    expect(pipeline.code).toBe(2);
    expect(pipeline.stderr).toBe(
      "error: unknown pipeline 'wordcont' (did you mean wordcount?); pipelines: wordcount\n",
    );
    expect(entry.stderr).toContain(
      "--entry 'counts' is not a stage of wordcount (did you mean count?); its stages: ingest, count, report",
    );
    expect(from.code).toBe(2);
    expect(from.stderr).toContain(
      "--from 'nope' is not a stage of wordcount; its stages: ingest, count, report",
    );
    expect(override.code).toBe(2);
    expect(override.stderr).toContain(
      "wordcount cannot replay from stage 'report': top: expected an integer 1–50, got 99",
    );
  });

  it('still answers 400 INVALID_PARAMS from the API itself, for any other client (exit 1)', async () => {
    // Act: the API, not the command line, refuses this one.
    const response = await fetch(`${runtime.url}/jobs`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-token-tenant-a', 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline: 'wordcount', params: {} }),
    });
    const body = (await response.json()) as { error: { code: string; details: unknown } };
    // Assess
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({
      code: 'INVALID_PARAMS',
      details: { stage: 'ingest', missing: ['text', 'document_id'], invalid: [] },
    });
  });
});
