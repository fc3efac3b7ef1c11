import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { omaService } from '../../../lib/pipelines/oma/service.js';
import { stagecoach } from '../../support/cli.js';

// The OMA service's parameters checked before any request (issue 7).

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
      'Invalid SSI parameters: fmx: unknown parameter (valid: fs, decimate, detrend, fmax, fmin, br, order_min, order_max, order_step).',
    );
  });
});
