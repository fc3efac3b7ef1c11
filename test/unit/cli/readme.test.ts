import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { registry } from '../../../lib/pipelines/registry.js';

// The README's shell snippets tagged `sh cli-test` run here as written: bash, `stagecoach` on the
// PATH (as `npm link` puts it), against a dev runtime that STAGECOACH_URL points at.

const README = new URL('../../../README.md', import.meta.url);
const bin = new URL('../../../bin/stagecoach.mjs', import.meta.url).pathname;

async function snippets(): Promise<string[]> {
  const text = await readFile(README, 'utf8');
  return [...text.matchAll(/^```sh cli-test\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe("the README's command-line snippets", () => {
  let runtime: DevRuntime;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-readme-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: registry.select(),
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    const shim = join(dir, 'bin', 'stagecoach');
    await mkdir(join(dir, 'bin'));
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
    await chmod(shim, 0o755);
    const { STAGECOACH_TOKEN: _token, STAGECOACH_WS_URL: _ws, ...rest } = process.env;
    env = { ...rest, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, STAGECOACH_URL: runtime.url };
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('has snippets to run', async () => {
    expect((await snippets()).length).toBeGreaterThanOrEqual(2);
  });

  it('runs the job walk-through as written', async () => {
    const script = (await snippets()).find((s) => s.includes('jobs submit wordcount')) ?? '';
    const result = await bash(script, dir, env);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/^✓ wordcount job \S+ DONE/m);
    expect(result.out).toMatch(/^be$/m);
    expect(result.out).toMatch(/^[0-9a-f-]{36}\tDONE$/m);
  });

  it('runs the OMA walk-through as written, on the simulated bridge, and finds its modes', async () => {
    const script = (await snippets()).find((s) => s.includes('oma simulate')) ?? '';
    const result = await bash(script, dir, env);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/^PREPROCESSING \S+: DONE$/m);
    expect(result.out).toMatch(/^SSI \S+: DONE$/m);
    const truth = JSON.parse(await readFile(join(dir, 'record.modes.json'), 'utf8')) as {
      modes: { frequency: number }[];
    };
    // Piped, `oma results` prints a row per mode: number, frequency, damping, ...
    const found = result.out
      .split('\n')
      .filter((l) => /^\d+\t\d/.test(l))
      .map((l) => Number(l.split('\t')[1]));
    for (const mode of truth.modes) {
      expect(
        found.some((f) => Math.abs(f - mode.frequency) < 0.01 * mode.frequency),
        `${mode.frequency} Hz`,
      ).toBe(true);
    }
  }, 120_000);
});
