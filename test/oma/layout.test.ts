import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The OMA engine's layout is its architecture (lib/oma/index.ts): no import circle, not even a
 * type-only one; nothing imported from outside lib/oma but Node's built-ins; folders depend on
 * each other one way only; index files only re-export.
 */
const OMA = resolve(import.meta.dirname, '..', '..', 'lib', 'oma');

/** Root files other than index.ts (errors.ts, control.ts) form the layer every folder may use. */
const ROOT = 'root';
/** lib/oma/index.ts: the public API, which nothing inside the engine imports. */
const API = 'index';

/** What each layer may import besides itself and the root files. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  run: ['io', 'fdd', 'ssi', 'multisetup', 'modal', 'signal', 'linalg'],
  multisetup: ['ssi', 'modal', 'signal', 'linalg'],
  fdd: ['modal', 'signal', 'linalg'],
  ssi: ['modal', 'signal', 'linalg'],
  synthetic: ['linalg'],
  modal: ['linalg'],
  io: [],
  signal: ['linalg'],
  linalg: [],
};

type Graph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f))
    .sort();
}

/** Block comments and whole-line comments removed, so examples in prose are not imports. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/**
 * Every module specifier of `import … from`, `import type … from`, `export … from`,
 * `export type … from`, a bare `import '…'` and a dynamic `import('…')`.
 */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const statement = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s*from\s*)?['"]([^'"]+)['"]/g;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(statement)) found.push(m[1] as string);
  for (const m of text.matchAll(dynamic)) found.push(m[1] as string);
  return found;
}

const rel = (file: string): string => relative(OMA, file);

/** The layer of a file: its top folder in lib/oma, `root` for errors.ts and control.ts, or `index`. */
function layerOf(file: string): string {
  const path = rel(file);
  if (path === 'index.ts') return API;
  const slash = path.indexOf('/');
  return slash < 0 ? ROOT : path.slice(0, slash);
}

interface Scan {
  readonly graph: Graph;
  /** Imports that leave lib/oma (anything but node:*) or name a file that does not exist. */
  readonly outside: string[];
}

function scan(): Scan {
  const graph = new Map<string, string[]>();
  const outside: string[] = [];
  for (const file of sourceFiles(OMA)) {
    const targets: string[] = [];
    for (const spec of specifiers(code(readFileSync(file, 'utf8')))) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        outside.push(`${rel(file)} imports '${spec}'`);
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!target.startsWith(`${OMA}/`) || !existsSync(target))
        outside.push(`${rel(file)} imports '${spec}'`);
      else targets.push(target);
    }
    graph.set(file, targets);
  }
  return { graph, outside };
}

/** The first import circle found by depth-first search, as a closed path, or undefined. */
function findCycle(graph: Graph): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const at = onPath.indexOf(node);
    if (at >= 0) return [...onPath.slice(at), node];
    if (done.has(node)) return undefined;
    onPath.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    onPath.pop();
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** The "may import" column of the table in lib/oma/index.ts, per folder. */
function documentedDirection(): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  const row = /^ \* \| `(\w+)\/`\s*\|[^|]*\|\s*([^|]*?)\s*\|$/gm;
  for (const m of readFileSync(join(OMA, 'index.ts'), 'utf8').matchAll(row)) {
    const deps = (m[2] as string).trim();
    table[m[1] as string] = deps === '—' ? [] : deps.split(',').map((d) => d.trim());
  }
  return table;
}

const { graph, outside } = scan();

describe('lib/oma layout', () => {
  it('reads the import graph (sanity: the parser sees the engine)', () => {
    const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
    expect(graph.size).toBeGreaterThan(40);
    expect(edges).toBeGreaterThan(100);
    // A type-only import and a multi-line import are edges too.
    expect(graph.get(join(OMA, 'fdd', 'bell.ts'))).toContain(join(OMA, 'fdd', 'types.ts'));
    expect(graph.get(join(OMA, 'run', 'analyze.ts'))).toContain(join(OMA, 'run', 'defaults.ts'));
  });

  it('has no import circle, type-only imports included', () => {
    // Prints the circle as a path (a.ts, b.ts, a.ts) when there is one.
    expect(findCycle(graph)?.map(rel) ?? [], 'import circle').toEqual([]);
  });

  it('the circle finder finds a circle where there is one', () => {
    const looped = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['b']],
    ]);
    expect(findCycle(looped)).toEqual(['b', 'c', 'b']);
    expect(findCycle(new Map([['a', ['b']]]))).toBeUndefined();
  });

  it('imports nothing from outside lib/oma but node:* built-ins', () => {
    expect(outside).toEqual([]);
  });

  it('folders import only the folders below them (the table in lib/oma/index.ts)', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      if (from === API) continue;
      const allowed = new Set([from, ROOT, ...(MAY_IMPORT[from] ?? [])]);
      for (const target of targets) {
        const to = layerOf(target);
        if (!allowed.has(to)) wrong.push(`${rel(file)} (${from}) imports ${rel(target)} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
    expect(Object.keys(MAY_IMPORT).sort()).toEqual(
      [...new Set([...graph.keys()].map(layerOf))].filter((l) => l !== ROOT && l !== API).sort(),
    );
  });

  it('documents the same direction in lib/oma/index.ts', () => {
    expect(documentedDirection()).toEqual(MAY_IMPORT);
  });

  it('has an index.ts per folder that only re-exports', () => {
    const notReexports: string[] = [];
    for (const folder of [...Object.keys(MAY_IMPORT), '.']) {
      const index = join(OMA, folder, 'index.ts');
      if (!existsSync(index)) {
        notReexports.push(`${folder}/index.ts is missing`);
        continue;
      }
      for (const statement of code(readFileSync(index, 'utf8')).split(';')) {
        const s = statement.trim();
        if (s !== '' && !/^export\s[\s\S]*\sfrom\s+'\.[^']*'$/.test(s))
          notReexports.push(`${rel(index)}: ${s}`);
      }
    }
    expect(notReexports).toEqual([]);
  });
});
