/**
 * The peers a benchmark compares against, installed outside package.json so the project never
 * depends on them: Redis from the system's packages and BullMQ from npm into .bench-peers/
 * (gitignored). Run it alone to install them: `npx tsx test/bench/peers.ts`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../lib/dev/moto.js';

/** The BullMQ the runtime benchmark measures (the newest 6.x on npm when it was written). */
export const BULLMQ_VERSION = '6.7.6';
/** BullMQ 6's Redis driver, an optional peer it loads with require() (the newest on npm then). */
export const IOREDIS_VERSION = '6.1.0';
export const PEERS_DIR = resolve(import.meta.dirname, '../../.bench-peers');

const has = (command: string): boolean => spawnSync('which', [command], { stdio: 'ignore' }).status === 0;

/** redis-server on the PATH; installed with apt-get when missing and running as root. */
export function ensureRedisInstalled(log: (line: string) => void = () => undefined): void {
  if (has('redis-server')) return;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new Error(
      'redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run the benchmark again.',
    );
  }
  log('installing redis-server with apt-get...');
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (update.status !== 0 || install.status !== 0 || !has('redis-server')) {
    throw new Error(
      'apt-get could not install redis-server; install it by hand and run the benchmark again.',
    );
  }
}

export function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
}

export interface RedisServer {
  readonly port: number;
  /** CPU time the server has used so far (user + system), ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, with Redis's default persistence (RDB snapshots,
 * no append-only file) in a temporary directory; stopped and removed by stop().
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--protected-mode', 'yes'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode})`);
    const up = await new Promise<boolean>((done) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        done(true);
      });
      socket.on('error', () => done(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start in 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    cpuMs() {
      // /proc/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks of 10 ms.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const installedVersion = (name: string): string | undefined => {
  const manifest = join(PEERS_DIR, 'node_modules', name, 'package.json');
  return existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version
    : undefined;
};

/** BullMQ and ioredis in .bench-peers/ (npm install --prefix), at the versions above. */
export function ensureBullmqInstalled(log: (line: string) => void = () => undefined): string {
  if (installedVersion('bullmq') !== BULLMQ_VERSION || installedVersion('ioredis') !== IOREDIS_VERSION) {
    log(`installing bullmq@${BULLMQ_VERSION} and ioredis@${IOREDIS_VERSION} into ${PEERS_DIR}...`);
    const out = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        PEERS_DIR,
        '--no-audit',
        '--no-fund',
        `bullmq@${BULLMQ_VERSION}`,
        `ioredis@${IOREDIS_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
    if (out.status !== 0) throw new Error(`npm could not install bullmq into ${PEERS_DIR}`);
  }
  return BULLMQ_VERSION;
}

/** The part of BullMQ's API the benchmark uses (the package is not a dependency, so no types). */
export interface BullJob {
  readonly data: { readonly id: number; readonly t: number };
}
export interface BullQueue {
  add(name: string, data: BullJob['data']): Promise<unknown>;
  close(): Promise<void>;
  obliterate(options: { force: boolean }): Promise<void>;
}
export interface BullWorker {
  on(event: 'completed', listener: (job: BullJob) => void): void;
  on(event: 'failed', listener: (job: BullJob | undefined, error: Error) => void): void;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
export interface Bullmq {
  readonly Queue: new (name: string, options: Record<string, unknown>) => BullQueue;
  readonly Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<unknown>,
    options: Record<string, unknown>,
  ) => BullWorker;
}

/** BullMQ's CommonJS build, which finds ioredis with require() as its users' code does. */
export function loadBullmq(): Bullmq {
  const require = createRequire(join(PEERS_DIR, 'package.json'));
  const m = require('bullmq') as Partial<Bullmq>;
  if (typeof m.Queue !== 'function' || typeof m.Worker !== 'function') {
    throw new Error(`bullmq in ${PEERS_DIR} does not export Queue and Worker`);
  }
  return { Queue: m.Queue, Worker: m.Worker };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureRedisInstalled(console.log);
  ensureBullmqInstalled(console.log);
  console.log(`redis-server ${redisVersion()}, bullmq ${BULLMQ_VERSION} in ${PEERS_DIR}`);
}
