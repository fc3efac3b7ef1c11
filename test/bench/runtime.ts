/**
 * Runtime benchmark: N jobs through a three-stage no-op pipeline on the embedded (memory) backend,
 * in one process (one core). A window bounds the jobs in flight, so hop latency is what a job sees
 * at that load rather than the length of a backlog.
 *
 *   npm run bench:runtime -- [--jobs 20000] [--window 200] [--concurrency 32]
 *
 * Hop latency: from the send that queues a stage (submit or the previous stage's forward) to the
 * commit of that stage's outcome, observed on the event bus with a monotonic clock.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createMemoryBackend } from '../../lib/adapters/memory/index.js';
import { definePipeline, defineStage } from '../../lib/core/sdk/index.js';
import { Runtime } from '../../lib/shells/embedded.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    window: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
  },
});
const jobs = Number(values.jobs);
const windowSize = Number(values.window);
const concurrency = Number(values.concurrency);

const noop = (name: string) =>
  defineStage({
    name,
    inputs: {},
    outputs: [],
    compute: { concurrency, batchSize: 10 },
    process: () => ({}),
  });
const pipeline = definePipeline({ name: 'bench', stages: [noop('one'), noop('two'), noop('three')] });

const backend = createMemoryBackend();
const runtime = await Runtime.create({
  pipelines: [pipeline],
  backend,
  pool: { deadLetters: false, holdSweepMs: 0 },
});
const caller = { tenantId: 'bench' };

const queuedAt = new Map<string, number>();
const latencies: number[] = [];
let finished = 0;
let onFinished: (() => void) | undefined;
backend.events.subscribe((event) => {
  const now = performance.now();
  if (event.type === 'stage.completed') {
    const from = queuedAt.get(event.job_id);
    if (from !== undefined) latencies.push(now - from);
    queuedAt.set(event.job_id, now);
  } else if (event.type === 'job.done') {
    queuedAt.delete(event.job_id);
    finished += 1;
    onFinished?.();
  }
});

runtime.start();
const startRss = process.memoryUsage().rss;
let peakRss = startRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const started = performance.now();
let submitted = 0;
while (submitted < jobs) {
  while (submitted - finished >= windowSize) {
    await new Promise<void>((resolve) => {
      onFinished = resolve;
    });
  }
  const t = performance.now();
  const job = await runtime.jobs.submit({ pipeline: 'bench', params: { n: submitted } }, caller);
  queuedAt.set(job.job_id, t);
  submitted += 1;
}
while (finished < jobs) {
  await new Promise<void>((resolve) => {
    onFinished = resolve;
  });
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
await runtime.stop();
// The kernel's high-water mark of this process (maxRSS of a spawned child can carry its parent's).
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
peakRss = Math.max(peakRss, process.memoryUsage().rss, Number(hwm ?? 0) * 1024);

latencies.sort((a, b) => a - b);
const quantile = (q: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const hops = latencies.length;
const result = {
  jobs,
  window: windowSize,
  concurrency,
  seconds: Number(seconds.toFixed(3)),
  jobs_per_s: Math.round(jobs / seconds),
  hops_per_s: Math.round(hops / seconds),
  hop_p50_ms: Number(quantile(0.5).toFixed(3)),
  hop_p99_ms: Number(quantile(0.99).toFixed(3)),
  peak_rss_mb: Math.round(peakRss / 1024 / 1024),
};
console.log(`jobs              ${jobs} (window ${windowSize}, ${concurrency} in flight per stage)`);
console.log(`elapsed           ${result.seconds} s`);
console.log(`jobs/s            ${result.jobs_per_s}`);
console.log(`stage hops/s      ${result.hops_per_s}   (target ≥ 5000)`);
console.log(`hop latency p50   ${result.hop_p50_ms} ms`);
console.log(`hop latency p99   ${result.hop_p99_ms} ms   (target < 10 ms)`);
console.log(`peak RSS          ${result.peak_rss_mb} MB`);
console.log(
  JSON.stringify({
    jobs_per_s: result.jobs_per_s,
    hops_per_s: result.hops_per_s,
    hop_p50_ms: result.hop_p50_ms,
    hop_p99_ms: result.hop_p99_ms,
    peak_rss_mb: result.peak_rss_mb,
  }),
);
