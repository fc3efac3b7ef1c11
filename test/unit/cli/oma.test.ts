import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { omaService } from '../../../lib/pipelines/oma/service.js';
import { stagecoach } from '../../support/cli.js';

// Sample data (issue 6) and the OMA service's parameters checked before any request (issue 7).

describe('stagecoach oma simulate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-simulate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a record with a time column and its true modes beside it, and prints the modes', async () => {
    // Act
    const file = join(dir, 'frame.csv');
    const result = await stagecoach(['oma', 'simulate', file, '--preset', 'frame', '--minutes', '0.5']);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const truth = JSON.parse(await readFile(join(dir, 'frame.modes.json'), 'utf8')) as {
      fs: number;
      samples: number;
      channels: string[];
      modes: { frequency: number; damping: number; shape: number[] }[];
    };
    expect(truth).toMatchObject({
      fs: 100,
      samples: 3000,
      channels: ['floor1', 'floor2', 'floor3', 'floor4', 'floor5'],
    });
    expect(truth.modes[0]?.frequency).toBeCloseTo(3, 6);
    expect(truth.modes.every((m) => m.shape.length === 5)).toBe(true);
    const csv = await readFile(file, 'utf8');
    expect(csv.split('\n')[0]).toBe('time,floor1,floor2,floor3,floor4,floor5');
    expect(csv.trim().split('\n')).toHaveLength(3001);
    // Piped, the modes print as rows: mode, frequency [Hz], damping ratio.
    expect(result.stdout.split('\n')[0]).toBe('1\t3\t0.01');
    expect(result.stdout.trim().split('\n')).toHaveLength(truth.modes.length);
  });

  it('has tower and bridge presets of realistic size, and refuses a bad preset or length (exit 2)', async () => {
    // Act
    const [tower, bridge, preset, minutes] = await Promise.all([
      stagecoach([
        'oma',
        'simulate',
        join(dir, 'tower.csv'),
        '--preset',
        'tower',
        '--minutes',
        '0.5',
        '--json',
      ]),
      stagecoach(['oma', 'simulate', join(dir, 'bridge.csv'), '--minutes', '0.5', '--json']),
      stagecoach(['oma', 'simulate', join(dir, 'x.csv'), '--preset', 'dam']),
      stagecoach(['oma', 'simulate', join(dir, 'x.csv'), '--minutes', '0']),
    ]);
    // Assess
    expect(JSON.parse(tower.stdout)).toMatchObject({
      preset: 'tower',
      fs: 50,
      channels: ['z18m', 'z30m', 'z48m', 'z60m'],
    });
    expect(JSON.parse(tower.stdout).modes[0].frequency).toBeCloseTo(0.85, 3);
    expect(JSON.parse(bridge.stdout)).toMatchObject({ preset: 'bridge', fs: 100 });
    expect(JSON.parse(bridge.stdout).modes).toHaveLength(8);
    expect((await stat(join(dir, 'bridge.csv'))).size).toBeGreaterThan(100_000);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toContain('Expected one of frame, tower, bridge');
    expect(minutes.code).toBe(2);
  });
});

describe('stagecoach oma: parameters', () => {
  let runtime: DevRuntime;
  let dir: string;
  const as = (): string[] => ['--url', runtime.url, '--token', 'dev-token-tenant-a'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-oma-params-'));
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

  it('refuses an unknown or invalid parameter before any request, naming the valid ones', async () => {
    // Act
    const [typo, band, typed] = await Promise.all([
      stagecoach(['oma', 'create', 'p-1', ...as(), '--type', 'ssi', '--param', 'fmx=20']),
      stagecoach([
        'oma',
        'create',
        'p-1',
        ...as(),
        '--type',
        'SSI',
        '--param',
        'fmin=30',
        '--param',
        'fmax=20',
      ]),
      stagecoach([
        'oma',
        'create',
        'p-1',
        ...as(),
        '--type',
        'FDD',
        '--param',
        'decimate=auto',
        '--param',
        'fs=200',
        '--json',
      ]),
    ]);
    const listed = await stagecoach(['oma', 'status', 'p-1', ...as(), '--json']);
    // Assess
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /^error: invalid SSI parameters: unknown param 'fmx' \(did you mean fmax\?\)\n/,
    );
    expect(typo.stderr).toMatch(/^ {2}fmax +optional +a number > 0, ≤ 1000000$/m);
    expect(typo.stderr).toMatch(/^ {2}order_step +optional +an integer 1–100 \(default 2\)$/m);
    expect(band.code).toBe(2);
    expect(band.stderr).toBe('error: invalid SSI parameters: fmin: fmin must be below fmax\n');
    expect(typed.code, typed.stderr).toBe(0);
    expect(JSON.parse(typed.stdout).parameters).toMatchObject({ decimate: 'auto', fs: 200 });
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });

  it('names the valid parameters in the API’s own answer too, for any other client', async () => {
    // Act
    const response = await fetch(`${runtime.url}/structures/p-2/analyses`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-token-tenant-a', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'SSI', parameters: { fmx: 20 } }),
    });
    const body = (await response.json()) as { error: { message: string } };
    // Assess
    expect(response.status).toBe(400);
    expect(body.error.message).toBe(
      'Invalid SSI parameters: fmx: unknown parameter (valid: fs, decimate, detrend, fmax, fmin, br, order_min, order_max, order_step, uncertainty).',
    );
  });
});
