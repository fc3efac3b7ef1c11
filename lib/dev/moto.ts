import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `moto_server` is on the PATH (pip install "moto[server]"). */
export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

export interface Moto {
  readonly endpoint: string;
  /**
   * The last Python exception moto_server logged (`TypeError: …`): moto answers a failed call with
   * a bare 500, so this is the only place the reason shows.
   */
  lastError(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts moto_server — a local emulator of the AWS APIs — on a free loopback port and waits until it
 * answers. Used by the dev runtime's `--backend moto` and by the tests of the AWS adapters.
 */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  let stderr = '';
  let lastError: string | undefined;
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
    // A traceback ends with `SomeError: message`; werkzeug's "Error on request:" has no colon there.
    const lines = (partial + chunk.toString()).split('\n');
    partial = (lines.pop() ?? '').slice(-2_000);
    for (const line of lines) {
      if (/^([\w.]+\.)?\w*(Error|Exception): /.test(line)) lastError = line.slice(0, 500);
    }
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError !== undefined) {
      throw new Error(
        (spawnError as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'moto_server is not installed: pip install "moto[server]" (or use --backend memory)'
          : `moto_server could not start: ${spawnError.message}`,
      );
    }
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 20 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    lastError: () => lastError,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
