#!/usr/bin/env node
// Builds what ships as JavaScript: the `stagecoach` command line, from bin/stagecoach.ts into
// bin/cli/ (ESM, one chunk per lazily loaded command). npm runs it on `npm ci` (the `prepare`
// script) and the test run runs it first, so the command always matches the sources.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = fileURLToPath(new URL('./cli/', import.meta.url));

export async function buildCli() {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { stagecoach: 'bin/stagecoach.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies load from node_modules as installed; only the project's own code is bundled.
    packages: 'external',
    sourcemap: 'linked',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
    metafile: true,
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const meta = await buildCli();
  const bytes = Object.values(meta.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(
    `built bin/cli/ (${Object.keys(meta.outputs).filter((f) => f.endsWith('.mjs')).length} files, ${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`,
  );
}
