import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLOUD =
  /from\s+['"](@aws-sdk\/|@aws-lambda-powertools\/|aws-cdk-lib|aws-lambda|@smithy\/)|import\(\s*['"](@aws-sdk|aws-cdk-lib)/;
const OUTWARD = /from\s+['"]\.\.\/(adapters|infra|dev|cli)\//;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true }).catch(() => []);
  return entries.filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
}

describe('architecture', () => {
  it.each(['lib/core', 'lib/oma'])('%s imports nothing from AWS nor from the outer layers', async (dir) => {
    const offending: string[] = [];
    for (const file of await sources(dir)) {
      const text = await readFile(join(ROOT, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (CLOUD.test(line) || OUTWARD.test(line)) offending.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });
});
