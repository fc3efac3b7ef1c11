import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleDir, serveConsole } from '../../../lib/dev/console-files.js';

describe('the console beside the local API', () => {
  let dir: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-web-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dir, 'assets', 'console.js'), 'export {};');
    server = createServer((req, res) => {
      void serveConsole(req, res, new URL(req.url ?? '/', 'http://local'), dir).then((served) => {
        if (!served) res.writeHead(418).end('api');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves its page, its assets and a config that signs in with dev tokens', async () => {
    // Act
    const page = await fetch(`${url}/`);
    const script = await fetch(`${url}/assets/console.js`);
    const config = await fetch(`${url}/config.json`);

    // Assess
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>console</title>');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await config.json()).toEqual({ apiUrl: '', wsUrl: '', auth: { kind: 'dev' } });
  });

  it('leaves every API path and every write to the API, and never leaves its folder', async () => {
    // Act
    const answers = await Promise.all(
      ['/jobs', '/holds', '/structures/x', '/queues', '/ws', '/health'].map(
        async (p) => (await fetch(`${url}${p}`)).status,
      ),
    );
    const post = await fetch(`${url}/`, { method: 'POST' });
    const outside = await fetch(`${url}/assets/..%2f..%2fetc%2fpasswd`);

    // Assess
    expect(answers).toEqual([418, 418, 418, 418, 418, 418]);
    expect(post.status).toBe(418);
    expect(outside.status).not.toBe(200);
  });

  it('finds web/dist of this checkout', () => {
    expect(consoleDir()).toMatch(/web[/\\]dist$/);
  });
});
