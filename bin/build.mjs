#!/usr/bin/env node
// Builds what ships as JavaScript: the `stagecoach` command line, from bin/stagecoach.ts into
// bin/cli/ (ESM, one chunk per lazily loaded command), and the web console, from web/src into
// web/dist/ (static files: index.html, assets/, report.js for `stagecoach oma report`). npm runs it
// on `npm ci` (the `prepare` script) and the test run runs it first, so both match the sources.
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
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

const web = fileURLToPath(new URL('../web/dist/', import.meta.url));

/**
 * zod re-exports its ~40 message locales as a namespace, which keeps every one of them in a
 * bundle (a third of its size); the console speaks English, so the namespace holds `en` only.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`)
        ? {
            path: fileURLToPath(new URL('../node_modules/zod/v4/locales/en.js', import.meta.url)),
            namespace: 'zod-en',
          }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: root,
    }));
  },
};

/** The console (ES modules for current browsers) and the report's drawing script (one IIFE). */
export async function buildConsole() {
  await rm(web, { recursive: true, force: true });
  await mkdir(web, { recursive: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: true,
    target: ['chrome120', 'firefox120', 'safari17'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [englishOnly],
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: { console: 'web/src/main.tsx' },
      outdir: `${web}assets`,
      format: 'esm',
      sourcemap: 'linked',
    }),
    build({ ...common, entryPoints: { report: 'web/src/report.ts' }, outdir: web, format: 'iife' }),
  ]);
  await copyFile(fileURLToPath(new URL('../web/index.html', import.meta.url)), `${web}index.html`);
  const sizes = {};
  for (const file of ['assets/console.js', 'assets/console.css', 'report.js', 'report.css']) {
    const bytes = await readFile(`${web}${file}`);
    sizes[file] = { bytes: bytes.length, gzip: gzipSync(bytes).length };
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const [meta, sizes] = await Promise.all([buildCli(), buildConsole()]);
  const bytes = Object.values(meta.outputs).reduce((sum, o) => sum + o.bytes, 0);
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(
    `built bin/cli/ (${Object.keys(meta.outputs).filter((f) => f.endsWith('.mjs')).length} files, ${kib(bytes)}) and web/dist/ (${Object.entries(
      sizes,
    )
      .map(([file, s]) => `${file} ${kib(s.bytes)}, ${kib(s.gzip)} gzipped`)
      .join('; ')}) in ${(performance.now() - started).toFixed(0)} ms`,
  );
}
