/**
 * Runtime benchmark: the embedded backend against BullMQ on a local Redis, measured side by side in
 * one run. Each side pushes N jobs through a three-stage no-op chain, each stage's processor adding
 * the job to the next stage's queue, with `concurrency` jobs at once per stage and a window
 * bounding the jobs in flight (so hop latency is what a job sees at that load, not the length of a
 * backlog). Each side runs in its own Node.js process, one after the other.
 *
 *   npm run bench:runtime -- [--jobs 20000] [--window 200] [--concurrency 50] [--profile]
 *
 * Hop latency: from the send that queues a stage (the submit, or the previous stage's add) to the
 * commit of that stage's outcome — the embedded runner's write of its completion (seen as its
 * stage.completed event), BullMQ's move of the job to completed (its worker's 'completed' event).
 * --profile writes a CPU profile of the embedded side (node --cpu-prof) to .stagecoach/profiles.
 *
 * The two sides do not promise the same thing: BullMQ keeps every job in Redis (durable as Redis's
 * persistence is configured; here its defaults, RDB snapshots), the embedded backend keeps them in
 * the process's memory and loses them with it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BullJob,
  ensureBullmqInstalled,
  ensureRedisInstalled,
  IOREDIS_VERSION,
  loadBullmq,
  redisVersion,
  startRedis,
} from './peers.js';

const { values } = parseArgs({
  options: {
    side: { type: 'string' },
    jobs: { type: 'string', default: '20000' },
    window: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '50' },
    profile: { type: 'boolean', default: false },
    'redis-port': { type: 'string' },
  },
});
const jobs = Number(values.jobs);
const windowSize = Number(values.window);
const concurrency = Number(values.concurrency);
const STAGES = ['one', 'two', 'three'] as const;

interface SideResult {
  readonly side: string;
  readonly seconds: number;
  readonly jobs_per_s: number;
  readonly hops_per_s: number;
  readonly hop_p50_ms: number;
  readonly hop_p99_ms: number;
  readonly peak_rss_mb: number;
  /** CPU time of the side's Node.js process per 1,000 hops (user + system), ms. */
  readonly cpu_ms_per_1k_hops: number;
}

/** Latencies, the window of jobs in flight, and the figures of one side. */
class Measure {
  readonly latencies: number[] = [];
  finished = 0;
  #wake: (() => void) | undefined;
  #peakRss = process.memoryUsage().rss;
  readonly #sampler = setInterval(() => {
    this.#peakRss = Math.max(this.#peakRss, process.memoryUsage().rss);
  }, 50);

  hop(ms: number): void {
    this.latencies.push(ms);
  }

  jobDone(): void {
    this.finished += 1;
    this.#wake?.();
  }

  async #next(): Promise<void> {
    await new Promise<void>((r) => {
      this.#wake = r;
    });
  }

  /** Submits every job, keeping at most `windowSize` in flight, and waits for the last. */
  #cpu = process.cpuUsage();

  async run(submit: (i: number) => Promise<void>): Promise<number> {
    const started = performance.now();
    this.#cpu = process.cpuUsage();
    for (let i = 0; i < jobs; i += 1) {
      while (i - this.finished >= windowSize) await this.#next();
      await submit(i);
    }
    while (this.finished < jobs) await this.#next();
    this.#cpu = process.cpuUsage(this.#cpu);
    return (performance.now() - started) / 1000;
  }

  result(side: string, seconds: number): SideResult {
    clearInterval(this.#sampler);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const peak = Math.max(this.#peakRss, process.memoryUsage().rss, Number(hwm ?? 0) * 1024);
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return {
      side,
      seconds: Number(seconds.toFixed(3)),
      jobs_per_s: Math.round(jobs / seconds),
      hops_per_s: Math.round(sorted.length / seconds),
      hop_p50_ms: Number(q(0.5).toFixed(3)),
      hop_p99_ms: Number(q(0.99).toFixed(3)),
      peak_rss_mb: Math.round(peak / 1024 / 1024),
      cpu_ms_per_1k_hops: Number(((this.#cpu.user + this.#cpu.system) / sorted.length).toFixed(1)),
    };
  }
}

async function embeddedSide(): Promise<SideResult> {
  const { createMemoryBackend } = await import('../../lib/adapters/memory/index.js');
  const { definePipeline, defineStage } = await import('../../lib/core/sdk/index.js');
  const { Runtime } = await import('../../lib/shells/embedded.js');
  const pipeline = definePipeline({
    name: 'bench',
    stages: STAGES.map((name) =>
      defineStage({
        name,
        inputs: {},
        outputs: [],
        compute: { concurrency, batchSize: 10 },
        process: () => ({}),
      }),
    ),
  });
  const backend = createMemoryBackend();
  // Stage events on the bus always, as BullMQ always emits its 'completed' events.
  const runtime = await Runtime.create({
    pipelines: [pipeline],
    backend,
    stageEvents: 'always',
    pool: { deadLetters: false, holdSweepMs: 0 },
  });
  const measure = new Measure();
  const queuedAt = new Map<string, number>();
  backend.events.subscribe((event) => {
    const now = performance.now();
    if (event.type === 'stage.completed') {
      const from = queuedAt.get(event.job_id);
      if (from !== undefined) measure.hop(now - from);
      queuedAt.set(event.job_id, now);
    } else if (event.type === 'job.done') {
      queuedAt.delete(event.job_id);
      measure.jobDone();
    }
  });
  runtime.start();
  const caller = { tenantId: 'bench' };
  const seconds = await measure.run(async (i) => {
    const t = performance.now();
    const job = await runtime.jobs.submit({ pipeline: 'bench', params: { n: i } }, caller);
    queuedAt.set(job.job_id, t);
  });
  await runtime.stop();
  return measure.result('embedded', seconds);
}

async function bullmqSide(port: number): Promise<SideResult> {
  const { Queue, Worker } = loadBullmq();
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const prefix = `bench${Date.now()}`;
  const queues = STAGES.map(
    (name) =>
      new Queue(name, {
        connection,
        prefix,
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
      }),
  );
  const measure = new Measure();
  const workers = STAGES.map((name, i) => {
    const next = queues[i + 1];
    const worker = new Worker(
      name,
      async (job: BullJob) => {
        if (next !== undefined) await next.add('hop', { id: job.data.id, t: performance.now() });
      },
      { connection, prefix, concurrency },
    );
    worker.on('completed', (job) => {
      measure.hop(performance.now() - job.data.t);
      if (next === undefined) measure.jobDone();
    });
    worker.on('failed', (_job, error) => {
      throw error;
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const first = queues[0];
  if (first === undefined) throw new Error('no queue');
  const seconds = await measure.run(async (i) => {
    await first.add('hop', { id: i, t: performance.now() });
  });
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  return measure.result('bullmq', seconds);
}

/** Runs one side in a child process (tsx as a loader) and returns its JSON result line. */
function child(side: string, nodeFlags: readonly string[], extra: readonly string[]): Promise<SideResult> {
  const self = fileURLToPath(import.meta.url);
  const args = [
    ...nodeFlags,
    '--import',
    'tsx',
    self,
    '--side',
    side,
    '--jobs',
    String(jobs),
    '--window',
    String(windowSize),
    '--concurrency',
    String(concurrency),
    ...extra,
  ];
  return new Promise((resolveResult, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`the ${side} side exited with ${code}: ${out.slice(-500)}`));
      else resolveResult(JSON.parse(last) as SideResult);
    });
  });
}

if (values.side === 'embedded') {
  console.log(JSON.stringify(await embeddedSide()));
  process.exit(0);
} else if (values.side === 'bullmq') {
  console.log(JSON.stringify(await bullmqSide(Number(values['redis-port']))));
  process.exit(0);
}

ensureRedisInstalled((line) => console.error(line));
const bullmqVersion = ensureBullmqInstalled((line) => console.error(line));
const redis = await startRedis();
let embedded: SideResult;
let bullmq: SideResult;
/** Redis's own CPU time per 1,000 BullMQ hops, ms. */
let redisCpuPer1k = 0;
const profileDir = resolve(fileURLToPath(new URL('../../.stagecoach/profiles', import.meta.url)));
try {
  const flags: string[] = [];
  if (values.profile === true) {
    mkdirSync(profileDir, { recursive: true });
    flags.push('--cpu-prof', '--cpu-prof-dir', profileDir);
  }
  embedded = await child('embedded', flags, []);
  const redisBefore = redis.cpuMs();
  bullmq = await child('bullmq', [], ['--redis-port', String(redis.port)]);
  redisCpuPer1k = ((redis.cpuMs() - redisBefore) / (jobs * STAGES.length)) * 1000;
} finally {
  await redis.stop();
}

const ratio = embedded.hops_per_s / bullmq.hops_per_s;
const row = (label: string, key: keyof SideResult, unit: string) =>
  console.log(
    `${label.padEnd(18)}${String(embedded[key]).padStart(12)}${String(bullmq[key]).padStart(12)}   ${unit}`,
  );
console.log(
  `${jobs} jobs × ${STAGES.length} stages, ${concurrency} at once per stage, window ${windowSize}; Node ${process.version}`,
);
console.log(`BullMQ ${bullmqVersion} (ioredis ${IOREDIS_VERSION}) on redis-server ${redisVersion()}\n`);
console.log(`${''.padEnd(18)}${'embedded'.padStart(12)}${'BullMQ'.padStart(12)}`);
row('elapsed', 'seconds', 's');
row('jobs/s', 'jobs_per_s', '');
row('stage hops/s', 'hops_per_s', '');
row('hop latency p50', 'hop_p50_ms', 'ms');
row('hop latency p99', 'hop_p99_ms', 'ms');
row('peak RSS', 'peak_rss_mb', 'MB (the Node.js process; Redis apart)');
row('CPU / 1k hops', 'cpu_ms_per_1k_hops', 'ms (the Node.js process)');
const bullmqCpu = bullmq.cpu_ms_per_1k_hops + redisCpuPer1k;
console.log(
  `${'  + redis-server'.padEnd(18)}${''.padStart(12)}${redisCpuPer1k.toFixed(1).padStart(12)}   ms, so ${bullmqCpu.toFixed(1)} ms of CPU per 1k hops in all`,
);
const cpuRatio = bullmqCpu / embedded.cpu_ms_per_1k_hops;
console.log(`\nratio of hops/s   ${ratio.toFixed(2)}× BullMQ   (target ≥ 2×, embedded p99 ≤ 10 ms)`);
console.log(
  `CPU per hop       ${cpuRatio.toFixed(2)}× less than BullMQ and Redis together (steadier on a busy machine)`,
);
if (values.profile === true) console.log(`CPU profile of the embedded side in ${profileDir}`);
console.log(
  JSON.stringify({
    embedded_hops_per_s: embedded.hops_per_s,
    bullmq_hops_per_s: bullmq.hops_per_s,
    ratio: Number(ratio.toFixed(2)),
    embedded_p50_ms: embedded.hop_p50_ms,
    embedded_p99_ms: embedded.hop_p99_ms,
    bullmq_p50_ms: bullmq.hop_p50_ms,
    bullmq_p99_ms: bullmq.hop_p99_ms,
    embedded_cpu_ms_per_1k_hops: embedded.cpu_ms_per_1k_hops,
    bullmq_cpu_ms_per_1k_hops: Number(bullmqCpu.toFixed(1)),
    cpu_ratio: Number(cpuRatio.toFixed(2)),
    bullmq_version: bullmqVersion,
  }),
);
