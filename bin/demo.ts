/**
 * `npm run demo`: the example pipeline (ingest → count → report) on the embedded backend, in this
 * process. It submits a job and follows its events live, shows a job failing at once on a bad
 * param (no retries wasted), fixes it with a replay, and exits 0 when every job ended as expected.
 */
import { createMemoryBackend } from '../lib/adapters/memory/index.js';
import { type Caller, type JobEvent, type JobRecord, JsonLogger, Runtime } from '../lib/core/index.js';
import { examplePipeline } from '../lib/pipelines/example/index.js';

const TEXT = `Stagecoach runs multi-stage jobs. Each stage declares what it requires and what it produces;
the framework validates inputs, retries transient failures, forwards the job to the next stage and
records every step. A stage that fails for good fails at once, and a job can be replayed.`;

const caller: Caller = { tenantId: 'demo' };
const backend = createMemoryBackend();
const runtime = await Runtime.create({
  pipelines: [examplePipeline],
  backend,
  logger: new JsonLogger({ level: 'silent' }),
  pool: { progressIntervalMs: 50 },
});

const started = Date.now();
const since = (): string => `${String(Date.now() - started).padStart(5)} ms`;
backend.events.subscribe((event: JobEvent) => {
  const extra =
    event.type === 'stage.progress'
      ? ` ${String(event.data?.percent)}% ${String(event.data?.message ?? '')}`
      : event.type === 'stage.failed' || event.type === 'job.failed'
        ? ` ${JSON.stringify((event.data?.error as { message?: string } | undefined)?.message ?? '')}`
        : '';
  console.log(
    `${since()}  ${event.job_id.slice(0, 8)}  ${event.type.padEnd(16)} ${event.stage.padEnd(7)} ${event.status}${extra}`,
  );
});

runtime.start();
console.log(`Pipeline '${examplePipeline.name}': ${examplePipeline.stages.map((s) => s.name).join(' → ')}\n`);

const good = await runtime.jobs.submit(
  { pipeline: 'wordcount', params: { document_id: 'doc-1', text: TEXT.repeat(40) } },
  caller,
);
const bad = await runtime.jobs.submit(
  { pipeline: 'wordcount', params: { document_id: 'doc-2', text: '' } },
  caller,
);

const goodDone = await runtime.jobs.waitFor(good.job_id, caller, { timeoutMs: 30_000 });
const badFailed = await runtime.jobs.waitFor(bad.job_id, caller, { timeoutMs: 30_000 });
console.log(`\nJob ${bad.job_id.slice(0, 8)} failed at once (no retry): ${badFailed.error?.message ?? ''}`);
console.log('Replaying it with the text fixed...\n');
await runtime.jobs.replay(bad.job_id, caller, { params: { text: 'Replay fixes what a bad param broke.' } });
const replayed = await runtime.jobs.waitFor(bad.job_id, caller, { timeoutMs: 30_000 });

await runtime.stop();

const summary = (job: JobRecord): string =>
  `${job.job_id.slice(0, 8)}  ${job.status.padEnd(6)}  words=${String(job.params.word_count)}  top=${JSON.stringify(job.params.top_words)}`;
console.log('\nResults');
console.log(`  ${summary(goodDone)}`);
console.log(`  ${summary(replayed)}`);
const attempts = await runtime.jobs.attempts(bad.job_id, caller);
console.log(
  `  attempts of ${bad.job_id.slice(0, 8)}: ${attempts.map((a) => `${a.stage}#${a.attempt}:${a.outcome}`).join(', ')}`,
);

const ok = goodDone.status === 'DONE' && badFailed.status === 'FAILED' && replayed.status === 'DONE';
console.log(
  ok ? '\nDemo finished: every job ended as expected.' : '\nDemo finished with unexpected results.',
);
process.exitCode = ok ? 0 : 1;
