import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOption } from '../../../../lib/cli/oma.js';
import { modesTable, table } from '../../../../lib/cli/oma-format.js';
import { DevRuntime } from '../../../../lib/dev/runtime.js';
import { omaService } from '../../../../lib/pipelines/oma/service.js';
import { stagecoach } from '../../../support/cli.js';
import { noiseCsv } from './fixtures.js';

describe('stagecoach oma', () => {
  let runtime: DevRuntime;
  let dir: string;
  const as = (token: string): string[] => ['--url', runtime.url, '--token', token];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-oma-cli-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [omaService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, uploads, runs and watches an analysis to its end; the exit code tells the outcome', async () => {
    // Prepare: a CSV with a ragged row, so the run ends ERROR.
    const file = join(dir, 'ragged.csv');
    await writeFile(file, noiseCsv(400).replace('\n0.0200,', '\n0.0200,0.5\n0.0201,'));
    // Act
    const created = await stagecoach([
      'oma',
      ...as('dev-token-tenant-a'),
      'create',
      'cli-1',
      '--type',
      'fdd',
    ]);
    const id = created.stdout.trim();
    const uploaded = await stagecoach(['oma', ...as('dev-token-tenant-a'), 'upload', 'cli-1', id, file]);
    const watched = await stagecoach(['oma', ...as('dev-token-tenant-a'), 'run', 'cli-1', id, '--watch']);
    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^\S+\n$/); // piped: the id alone
    expect(uploaded.stdout).toContain(`oma/tenant-a/cli-1/analyses/${id}/measurements.csv`);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain(`FDD ${id}: ERROR — The measurement CSV is not valid: line 4, column 3`);
  });

  it('prints API errors as one line with the HTTP status, and usage errors exit 2', async () => {
    // Act
    const [missing, badType, noToken] = await Promise.all([
      stagecoach(['oma', ...as('dev-token-tenant-b'), 'status', 'cli-1', 'nope']),
      stagecoach(['oma', ...as('dev-token-tenant-a'), 'create', 'cli-1', '--type', 'modal']),
      stagecoach(['oma', '--url', runtime.url, 'status', 'cli-1']),
    ]);
    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      "error: HTTP 404 NOT_FOUND: Analysis 'nope' of structure 'cli-1' was not found.\n",
    );
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain(
      "argument 'modal' is invalid. Expected one of PREPROCESSING, FDD, SSI, MULTI_SETUP",
    );
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toBe('error: a token is needed: pass --token or set STAGECOACH_TOKEN\n');
  });
});

describe('oma output', () => {
  it('aligns numbers right and text left', () => {
    expect(
      table(
        ['name', 'f'],
        [
          ['a', '3.1'],
          ['bb', '12.25'],
        ],
      ),
    ).toBe('name      f\na       3.1\nbb    12.25');
  });

  it('shows a modes table with damping in percent and the shapes', () => {
    const text = modesTable({
      structure_id: 's',
      analysis_id: 'a',
      type: 'SSI',
      result: {
        method: 'ssi',
        fs: 100,
        channels: ['top', 'bottom'],
        modes: [
          {
            frequency: 3.0012,
            damping: 0.0101,
            shape: [1, 0.5],
            uncertainty: { frequency_std: 0.0004, damping_std: null, method: 'perturbation' },
            mpc: 0.999,
          },
        ],
        macMatrix: [[1]],
        warnings: [],
        timings: {},
        parameters: {},
      },
    });
    expect(text).toContain('SSI at 100.000 Hz: 1 modes');
    expect(text).toMatch(/1 +3\.0012 +0\.0004 +1\.01 +- +0\.999/);
    expect(text).toMatch(/bottom +0\.500/);
  });
});

describe('stagecoach oma, MULTI_SETUP', () => {
  it('reads --setup <analysis>=<refs> into the setups parameter, indices as numbers', () => {
    const setups = setupOption('s2=0,storey12', setupOption('s1=storey6,storey12'));
    expect(setups).toEqual([
      { analysis_id: 's1', reference_channels: ['storey6', 'storey12'] },
      { analysis_id: 's2', reference_channels: [0, 'storey12'] },
    ]);
    expect(() => setupOption('s3')).toThrow(/--setup wants <analysis>=<reference>,<reference>…, got 's3'/);
  });

  it('shows a merged result: how it was merged, and a dash where a setup did not find a mode', () => {
    const text = modesTable({
      structure_id: 's',
      analysis_id: 'm',
      type: 'MULTI_SETUP',
      result: {
        method: 'ssi',
        fs: 50,
        channels: ['r1', 'a/x', 'b/y'],
        modes: [{ frequency: 2, damping: 0.01, shape: [1, 0.5, null] }],
        macMatrix: [[1]],
        warnings: [],
        timings: {},
        parameters: {},
        multi_setup: { merge: 'poser', setups: [{ name: 'a' }, { name: 'b' }] },
      },
    });
    expect(text).toContain('SSI at 50.000 Hz: 1 modes, 2 setups merged by PoSER');
    expect(text).toMatch(/b\/y +-/);
  });
});
