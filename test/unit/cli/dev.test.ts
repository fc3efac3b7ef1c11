import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColors } from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrettyLogger } from '../../../lib/cli/dev-log.js';
import { stagecoach, startStagecoach } from '../../support/cli.js';

// `stagecoach dev` (issue 8): levelled lines for a person, JSON for a pipe, and a banner that says
// what a restart loses.

describe('stagecoach dev: logs and banner', () => {
  let dir: string;
  const args = (): string[] => [
    'dev',
    '--port',
    '0',
    '--services',
    'wordcount',
    '--tokens',
    join(dir, 'tokens.json'),
    '--data',
    join(dir, 'blobs'),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-dev-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('logs JSON lines when piped, with the banner on stderr saying what a restart loses', async () => {
    // Act
    const dev = startStagecoach(args());
    await dev.until('Ctrl-C to stop.', 'stderr');
    dev.child.kill('SIGINT');
    const result = await dev.exited;
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toContain('dev runtime started');
    expect(result.stderr).toMatch(
      /state +jobs, events, holds and analyses live in this process: stopping it loses them \(--state <file> keeps them\)\./,
    );
    expect(result.stderr).toContain(
      `uploaded files and results are kept in ${join(dir, 'blobs')} and outlive it.`,
    );
    expect(result.stderr).toMatch(/HTTP API +http:\/\/127\.0\.0\.1:\d+/);
  });

  it('logs levelled lines with --log-format pretty, banner and all on stdout', async () => {
    // Act
    const dev = startStagecoach([...args(), '--log-format', 'pretty']);
    await dev.until('Ctrl-C to stop.');
    dev.child.kill('SIGINT');
    const result = await dev.exited;
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}dev runtime started {2}backend=memory url=http:/m,
    );
    expect(result.stdout).not.toContain('{"level"');
  });

  it('takes per-tenant limits as JSON, says them in the banner, and refuses bad ones naming the fault', async () => {
    // Act
    const dev = startStagecoach([
      ...args(),
      '--log-format',
      'pretty',
      '--limits',
      '{"default":{"runningPerStage":2}}',
    ]);
    await dev.until('Ctrl-C to stop.');
    dev.child.kill('SIGINT');
    const result = await dev.exited;
    const notJson = await stagecoach([...args(), '--limits', '{default']);
    const badKey = await stagecoach([...args(), '--limits', '{"default":{"running":{"wordcount":2}}}']);
    const zero = await stagecoach([...args(), '--limits', '{"tenants":{"acme":{"runningPerStage":0}}}']);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/limits +\{"default":\{"runningPerStage":2\}\}/);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('--limits is not valid JSON');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain("'wordcount' must name a stage as pipeline/stage");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('tenants.acme.runningPerStage');
  });

  it('refuses an unknown service or format as a usage error', async () => {
    const service = await stagecoach([...args(), '--services', 'wordcount,nope']);
    const format = await stagecoach([...args(), '--log-format', 'yaml']);
    expect(service.code).toBe(2);
    expect(service.stderr).toMatch(/nope/);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('Allowed choices are pretty, json');
  });
});

describe('PrettyLogger', () => {
  it('puts the fields a reader looks for first, quotes what needs it, and honours the level', () => {
    // Prepare
    const lines: string[] = [];
    const logger = new PrettyLogger({
      level: 'info',
      colors: createColors(false),
      write: (line) => lines.push(line),
      now: () => new Date('2026-01-02T03:04:05.678Z'),
    }).child({ component: 'runner' });
    // Act
    logger.debug('not shown');
    logger.info('stage completed', { duration_ms: 12, stage: 'count', job_id: 'j-1', note: 'two words' });
    logger.error('stage failed', { job_id: 'j-2', error: new Error('boom') });
    // Assess
    expect(lines[0]).toBe(
      '03:04:05.678 INFO  stage completed  job_id=j-1 stage=count component=runner duration_ms=12 note="two words"',
    );
    expect(lines[1]).toMatch(
      /^03:04:05\.678 ERROR stage failed {2}job_id=j-2 component=runner error="boom"\n\s+at /,
    );
    expect(lines).toHaveLength(2);
  });
});
