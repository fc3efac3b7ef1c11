import { ApiError } from '../client/http.js';
import { followJob, progressEventOf } from '../client/job-follow.js';
import type { Job, JobEventRecord, JobsClient, PipelineDescription } from '../client/jobs.js';
import { LiveClient } from '../client/live.js';
import { type Connection, EXIT } from './command-kit.js';
import { openNodeSocket } from './node-socket.js';
import { between, duration, type Output } from './output.js';
import { createRenderer, type ProgressRenderer } from './progress.js';
import { StageBoard } from './stage-board.js';

/**
 * Following a job from a terminal: its stages' progress drawn by the one renderer, in the order
 * of the events' sequence; when the live connection fails the watch says so in one line and goes
 * on by polling; when the API itself is lost, or on Ctrl-C, it says the job keeps running and how
 * to resume watching. `--json` prints each event as a JSON line, then the final job.
 */

export interface WatchOptions {
  readonly out: Output;
  readonly jobs: JobsClient;
  readonly connection: Connection;
  readonly jobId: string;
  /** The job's pipeline, when the caller has it already (else it is read). */
  readonly pipeline?: PipelineDescription | undefined;
  /** A label before each stage's bar (the OMA analysis). */
  readonly label?: string;
  /** How to say to resume watching. @default `stagecoach jobs watch <id>` */
  readonly resume?: string;
  /** Print the final job line (the OMA commands print their own). @default true */
  readonly summary?: boolean;
  /** @default 1000 */
  readonly pollMs?: number;
}

/** The stages a job runs, entry to exit, in pipeline order. */
export async function stagesOf(jobs: JobsClient, job: Job, known?: PipelineDescription): Promise<string[]> {
  const pipeline = known ?? (await jobs.pipelines().catch(() => [])).find((p) => p.name === job.pipeline);
  const names = pipeline?.stages.map((s) => s.name) ?? [];
  const from = names.indexOf(job.entry_stage ?? '');
  const to = names.indexOf(job.exit_stage ?? '');
  return from >= 0 && to >= from ? names.slice(from, to + 1) : names;
}

/** One line for a person about how a job ended. */
export function jobSummary(job: Job, out: Output): string {
  const c = out.c;
  const took = duration(between(job.created_at, job.finished_at ?? job.updated_at));
  const glyph = job.status === 'DONE' ? c.green('✓') : c.red('✗');
  const error =
    job.error === undefined
      ? ''
      : ` at ${job.error.stage ?? job.stage}: ${job.error.code}: ${job.error.message}`;
  return `${glyph} ${job.pipeline} job ${job.job_id} ${out.status(job.status)} in ${took}${error}`;
}

function failureNote(event: JobEventRecord): string | undefined {
  if (event.type !== 'stage.failed') return undefined;
  const error = event.data?.error as { code?: unknown; message?: unknown } | undefined;
  const what = error === undefined ? '' : `: ${String(error.code ?? '')}: ${String(error.message ?? '')}`;
  const retry =
    event.status === 'RETRY_WAITING' && typeof event.data?.retry_in_ms === 'number'
      ? `; retrying in ${duration(event.data.retry_in_ms)}`
      : '';
  return `${event.stage} attempt ${event.attempt ?? '?'} failed${what}${retry}`;
}

/** Follows the job to its end; the exit code says how it ended (0 DONE, 1 otherwise, 130 Ctrl-C). */
export async function watchJob(o: WatchOptions): Promise<number> {
  const { out, jobs, jobId } = o;
  const resume = o.resume ?? `stagecoach jobs watch ${jobId}`;
  const first = await jobs.get(jobId);
  const board = new StageBoard(await stagesOf(jobs, first, o.pipeline));
  let renderer: ProgressRenderer | undefined;
  const draw = (event: JobEventRecord): void => {
    if (out.json) {
      out.line(JSON.stringify(event));
      return;
    }
    const change = board.apply(event);
    renderer ??= createRenderer({ output: out, ...(o.label === undefined ? {} : { label: o.label }) });
    renderer.update(board, event.stage, change);
    const note = change === 'stale' ? undefined : failureNote(event);
    if (note !== undefined) renderer.note(out.c.yellow(note));
  };
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  let last = first;
  try {
    last = await followJob(jobs, jobId, {
      live: () => LiveClient.connect(o.connection.wsUrl, o.connection.token, openNodeSocket),
      signal: controller.signal,
      pollMs: o.pollMs ?? 1_000,
      onEvent: draw,
      onJob: (job) => {
        last = job;
        const progress = progressEventOf(job);
        if (progress !== undefined && !out.json) draw(progress);
      },
      onLiveLost: (error) => {
        const text = `${error.describe()} — following job ${jobId} by polling instead`;
        if (renderer === undefined) out.warn(text);
        else renderer.warn(text);
      },
    });
  } catch (error) {
    renderer?.stop(board);
    const why =
      error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error);
    throw new Error(
      `lost the API while watching job ${jobId}: ${why}. The job keeps running; resume watching with: ${resume}`,
    );
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
  renderer?.stop(board);
  if (controller.signal.aborted && !['DONE', 'FAILED', 'ABORTED'].includes(last.status)) {
    out.note(`stopped watching; job ${jobId} is ${last.status} and keeps running — resume with: ${resume}`);
    return EXIT.interrupted;
  }
  if (out.json) out.line(JSON.stringify(last));
  else if (o.summary !== false) out.line(jobSummary(last, out));
  return last.status === 'DONE' ? EXIT.ok : EXIT.failure;
}
