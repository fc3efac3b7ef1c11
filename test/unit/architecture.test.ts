import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// The layout is the architecture (docs/architecture.md): folders depend one way, nothing imports in
// a circle, and the core and the OMA engine stay free of AWS. This test reads every import in lib/
// and functions/ (and web/src, the console, which may use the typed client only) and checks those rules.

const ROOT = join(import.meta.dirname, '..', '..');

/** Each folder and the folders it may import from (itself included). Longest prefix wins. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'lib/core/ports': ['lib/core/ports'],
  'lib/core/sdk': ['lib/core/ports', 'lib/core/sdk'],
  'lib/core/engine': ['lib/core/ports', 'lib/core/sdk', 'lib/core/engine'],
  'lib/core/control': ['lib/core/ports', 'lib/core/sdk', 'lib/core/engine', 'lib/core/control'],
  'lib/core/api': ['lib/core'],
  'lib/oma': ['lib/oma'],
  'lib/adapters/memory': ['lib/core/ports', 'lib/adapters/memory'],
  'lib/adapters/aws': ['lib/core/ports', 'lib/adapters/aws'],
  'lib/pipelines': ['lib/core', 'lib/oma', 'lib/pipelines'],
  'lib/shells': ['lib/core', 'lib/adapters', 'lib/pipelines', 'lib/shells'],
  'lib/dev': ['lib/core', 'lib/adapters', 'lib/pipelines', 'lib/shells', 'lib/dev'],
  'lib/infra': [
    'lib/core',
    'lib/pipelines',
    'lib/shells/config.ts',
    'lib/adapters/aws/tables.ts',
    'lib/infra',
  ],
  'lib/client': ['lib/pipelines/oma/schemas.ts', 'lib/pipelines/oma/keys.ts', 'lib/client'],
  'lib/cli': [
    'lib/client',
    'lib/core',
    'lib/oma',
    'lib/pipelines',
    'lib/dev',
    'lib/shells/config.ts',
    'lib/cli',
  ],
  functions: ['lib/shells'],
  // The console runs in browsers and talks to the public API only, through the typed client.
  web: ['lib/client', 'web'],
};

/** npm packages a cloud-free folder may use (node: built-ins are always allowed). */
const PACKAGES: Readonly<Record<string, readonly string[]>> = {
  'lib/core': ['zod'],
  'lib/oma': [],
  // Runs in browsers too: no node: built-ins either (checked below).
  'lib/client': ['zod'],
  web: ['preact', 'uplot', 'zod'],
};

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly line: number;
}

const IMPORT =
  /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true });
  return entries.filter((f) => /\.tsx?$/.test(f)).map((f) => join(dir, f));
}

function owner(file: string, table: Readonly<Record<string, unknown>>): string | undefined {
  return Object.keys(table)
    .filter((prefix) => file === prefix || file.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length)[0];
}

let relativeEdges: Edge[] = [];
let packageEdges: Edge[] = [];

beforeAll(async () => {
  const files = [...(await sources('lib')), ...(await sources('functions')), ...(await sources('web/src'))];
  for (const file of files) {
    const text = await readFile(join(ROOT, file), 'utf8');
    // Whole-file matching: an import's names may span many lines before its `from`.
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? '';
      const line = text.slice(0, match.index).split('\n').length;
      if (spec.startsWith('.')) {
        const target = relative(ROOT, normalize(join(ROOT, dirname(file), spec)));
        const ts = target.replace(/\.js$/, '.ts');
        const to = file.startsWith('web/') && !existsSync(join(ROOT, ts)) ? ts.replace(/\.ts$/, '.tsx') : ts;
        relativeEdges.push({ from: file, to, line });
      } else if (!spec.startsWith('node:')) {
        packageEdges.push({ from: file, to: spec, line });
      }
    }
  }
  relativeEdges = relativeEdges.filter(
    (e) => e.to.startsWith('lib/') || e.to.startsWith('functions/') || e.to.startsWith('web/'),
  );
  packageEdges = packageEdges.filter((e) => e.to !== '');
});

describe('architecture', () => {
  it('reads the imports of every source file', () => {
    expect(relativeEdges.length).toBeGreaterThan(500);
  });

  it('folders depend one way (docs/architecture.md)', () => {
    const offending = relativeEdges
      .filter((edge) => {
        const from = owner(edge.from, MAY_IMPORT);
        if (from === undefined) return false;
        const allowed = MAY_IMPORT[from] ?? [];
        return !allowed.some((prefix) => edge.to === prefix || edge.to.startsWith(`${prefix}/`));
      })
      .map((e) => `${e.from}:${e.line} → ${e.to}`);
    expect(offending).toEqual([]);
  });

  it('lib/core and lib/oma use no npm package but zod (so no AWS SDK, Powertools or CDK)', () => {
    const offending = packageEdges
      .filter((edge) => {
        const from = owner(edge.from, PACKAGES);
        if (from === undefined) return false;
        const name = edge.to.startsWith('@')
          ? edge.to.split('/').slice(0, 2).join('/')
          : edge.to.split('/')[0];
        return !(PACKAGES[from] ?? []).includes(name ?? '');
      })
      .map((e) => `${e.from}:${e.line} → ${e.to}`);
    expect(offending).toEqual([]);
  });

  it('lib/client runs in a browser: no node: built-in, no Node-only package', async () => {
    const offending: string[] = [];
    for (const file of await sources('lib/client')) {
      const text = await readFile(join(ROOT, file), 'utf8');
      if (/from\s+['"]node:/.test(text)) offending.push(file);
    }
    expect(offending).toEqual([]);
  });

  it('nothing in lib/ imports in a circle, not even types', () => {
    const graph = new Map<string, string[]>();
    for (const edge of relativeEdges) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else if (state.get(next) === undefined) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
    expect(cycles).toEqual([]);
  });

  it('the entry points in functions/ are a few lines around lib/shells', async () => {
    const long: string[] = [];
    for (const file of await sources('functions')) {
      const lines = (await readFile(join(ROOT, file), 'utf8')).trim().split('\n').length;
      if (lines > 5) long.push(`${file}: ${lines} lines`);
    }
    expect(long).toEqual([]);
  });
});
