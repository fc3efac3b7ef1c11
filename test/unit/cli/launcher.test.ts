import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { stagecoach } from '../../support/cli.js';

describe('the stagecoach command', () => {
  it('runs from the JavaScript built into bin/cli/', async () => {
    await expect(
      access(new URL('../../../bin/cli/stagecoach.mjs', import.meta.url)),
    ).resolves.toBeUndefined();
    const { code, stdout } = await stagecoach(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('loads a command’s heavy modules only when it runs: nothing the entry imports statically holds them', async () => {
    const { readFile } = await import('node:fs/promises');
    // The entry and the chunks it imports statically (transitively) are what every call loads.
    const loaded = new Map<string, string>();
    const visit = async (url: URL): Promise<void> => {
      if (loaded.has(url.href)) return;
      const text = await readFile(url, 'utf8');
      loaded.set(url.href, text);
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)";/gms)) {
        await visit(new URL(m[1] ?? '', url));
      }
    };
    await visit(new URL('../../../bin/cli/stagecoach.mjs', import.meta.url));
    const modules = [...loaded.values()].flatMap((text) =>
      [...text.matchAll(/^\/\/ (lib\/\S+\.ts)$/gm)].map((m) => m[1]),
    );
    expect(modules).toContain('lib/cli/program.ts');
    // esbuild names each bundled module in a comment; these belong to lazily loaded chunks only.
    const heavy = modules.filter((m) =>
      /^lib\/(oma|dev|adapters|shells)\/|^lib\/pipelines\/registry/.test(m ?? ''),
    );
    expect(heavy).toEqual([]);
    // Nor do the packages the commands' work needs (zod, ws, cli-progress...): defining them needs commander alone.
    const packages = new Set(
      [...loaded.values()].flatMap((text) =>
        [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^."][^"]*)";/gms)].map((m) => m[1]),
      ),
    );
    expect([...packages].filter((p) => !p?.startsWith('node:'))).toEqual(['commander']);
  });
});
