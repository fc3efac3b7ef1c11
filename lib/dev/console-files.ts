import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web console beside the local API: `GET /` is its page, `/assets/…` its files (built into
 * web/dist by `npm run build`), `/config.json` tells it to sign in with a dev token and to call
 * this same origin. Only those paths are the console's — it routes with `#/…` — so every API path
 * (/jobs, /holds, /structures, /queues, /ws …) stays the API's.
 */

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** web/dist of this checkout: found upward from this module (it runs from lib/dev or bin/cli/chunks). */
export function consoleDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Stagecoach console</title>
<p>The console is not built. Run <code>npm run build</code> (npm ci does it), then reload.</p>`;

/** Serves the request when it is the console's; false when it belongs to the API. */
export async function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  dir: string | undefined = consoleDir(),
): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = url.pathname;
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': TYPES['.json'] ?? '', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ apiUrl: '', wsUrl: '', auth: { kind: 'dev' } }));
    return true;
  }
  const file =
    path === '/' || path === '/index.html'
      ? 'index.html'
      : path.startsWith('/assets/')
        ? path.slice(1)
        : undefined;
  if (file === undefined) return false;
  if (dir === undefined) {
    res.writeHead(file === 'index.html' ? 200 : 404, { 'content-type': TYPES['.html'] ?? '' });
    res.end(file === 'index.html' ? NOT_BUILT : '');
    return true;
  }
  const full = normalize(join(dir, decodeURIComponent(file)));
  if (!full.startsWith(`${dir}${sep}`)) return false;
  try {
    const body = await readFile(full);
    res.writeHead(200, {
      'content-type': TYPES[extname(full)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
  return true;
}
