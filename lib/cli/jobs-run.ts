import type { Command } from 'commander';
import { ApiError } from '../client/http.js';
import {
  type Attempt,
  type Job,
  type JobEventRecord,
  type JobStatus,
  JobsClient,
  type PipelineDescription,
} from '../client/jobs.js';
import { checkParams } from '../client/params.js';
import { closest } from '../client/suggest.js';
import { type Connection, connectionOf, UsageError } from './command-kit.js';
import { watchJob } from './job-watch.js';
import { age, between, type Column, duration, Output } from './output.js';
import { hasProblems, paramsError, typedParams, unreadParams } from './param-input.js';

/** The work of `stagecoach jobs …` (defined in lib/cli/jobs.ts). */

export interface JsonFlag {
  readonly json?: boolean;
}
export interface SubmitFlags extends JsonFlag {
  readonly params?: Record<string, unknown>;
  readonly param?: readonly (readonly [string, string])[];
  readonly entry?: string;
  readonly exit?: string;
  readonly priority?: number;
  readonly tag?: Record<string, string>;
  readonly jobId?: string;
  readonly watch?: boolean;
  readonly quiet?: boolean;
}
export interface ListFlags extends JsonFlag {
  readonly status?: JobStatus;
  readonly pipeline?: string;
  readonly limit: number;
  readonly cursor?: string;
}
export interface ControlFlags extends JsonFlag {
  readonly reason?: string;
}
export interface ReplayFlags extends JsonFlag {
  readonly from?: string;
  readonly param?: readonly (readonly [string, string])[];
  readonly watch?: boolean;
}

function clientOf(command: Command): { connection: Connection; jobs: JobsClient } {
  const connection = connectionOf(command);
  return { connection, jobs: new JobsClient(connection) };
}

const hint = (near: string | undefined): string => (near === undefined ? '' : ` (did you mean ${near}?)`);

/** The pipeline's description; undefined when the API has no GET /pipelines (it checks itself). */
async function pipelineNamed(jobs: JobsClient, name: string): Promise<PipelineDescription | undefined> {
  let all: readonly PipelineDescription[];
  try {
    all = await jobs.pipelines();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
  const found = all.find((p) => p.name === name);
  if (found === undefined) {
    const names = all.map((p) => p.name);
    throw new UsageError(
      `unknown pipeline '${name}'${hint(closest(name, names))}; pipelines: ${names.join(', ') || 'none'}`,
    );
  }
  return found;
}

function stageNamed(pipeline: PipelineDescription, name: string, flag: string) {
  const found = pipeline.stages.find((s) => s.name === name);
  if (found === undefined) {
    const names = pipeline.stages.map((s) => s.name);
    throw new UsageError(
      `${flag} '${name}' is not a stage of ${pipeline.name}${hint(closest(name, names))}; its stages: ${names.join(', ')}`,
    );
  }
  return found;
}

const index = (pipeline: PipelineDescription, stage: string): number =>
  pipeline.stages.findIndex((s) => s.name === stage);

export async function submit(pipelineName: string, flags: SubmitFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const { connection, jobs } = clientOf(command);
  const pipeline = await pipelineNamed(jobs, pipelineName);
  let params: Record<string, unknown> = { ...flags.params, ...typedParams(flags.param, undefined) };
  if (pipeline !== undefined) {
    const entry = stageNamed(pipeline, flags.entry ?? pipeline.stages[0]?.name ?? '', '--entry');
    const exit = stageNamed(pipeline, flags.exit ?? pipeline.stages.at(-1)?.name ?? '', '--exit');
    if (index(pipeline, entry.name) > index(pipeline, exit.name)) {
      throw new UsageError(`--entry '${entry.name}' comes after --exit '${exit.name}' in ${pipeline.name}`);
    }
    params = { ...flags.params, ...typedParams(flags.param, entry.inputs) };
    const problems = checkParams(entry.inputs, params);
    if (hasProblems(problems)) {
      throw paramsError(
        `${pipeline.name} cannot start at stage '${entry.name}'`,
        `stage '${entry.name}'`,
        entry.inputs,
        problems,
        params,
      );
    }
    const unread = unreadParams(pipeline, entry.name, params);
    if (unread.length > 0) out.warn(`no stage of ${pipeline.name} reads ${unread.join(', ')}`);
  }
  const job = await jobs.submit({
    pipeline: pipelineName,
    params,
    ...(flags.entry === undefined ? {} : { entry_stage: flags.entry }),
    ...(flags.exit === undefined ? {} : { exit_stage: flags.exit }),
    ...(flags.priority === undefined ? {} : { priority: flags.priority }),
    ...(flags.tag === undefined ? {} : { tags: flags.tag }),
    ...(flags.jobId === undefined ? {} : { job_id: flags.jobId }),
  });
  if (out.json && flags.watch !== true) out.printJson(job);
  else if (!out.json) {
    out.created(
      job.job_id,
      () =>
        `${out.c.green('✓')} Submitted ${job.pipeline} job ${out.c.bold(job.job_id)} (from ${job.stage}, ${job.status})`,
    );
  }
  if (flags.watch !== true) {
    out.hint(`  follow it: stagecoach jobs watch ${job.job_id}`);
    return 0;
  }
  return watchJob({ out, jobs, connection, jobId: job.job_id, pipeline });
}

/** The jobs table's columns (list, and the job a control action answers). */
function jobColumns(out: Output): Column<Job>[] {
  const now = out.now();
  return [
    { header: 'JOB', human: (j) => j.job_id },
    { header: 'PIPELINE', human: (j) => j.pipeline },
    { header: 'STAGE', human: (j) => j.stage },
    {
      header: 'STATUS',
      human: (j) => j.status,
      paint: (text, j) => out.status(j.status).replace(j.status, text),
    },
    {
      header: 'PROGRESS',
      align: 'right',
      human: (j) =>
        j.status === 'RUNNING' && j.progress !== undefined ? `${Math.round(j.progress.percent)}%` : '',
    },
    { header: 'CREATED', human: (j) => age(j.created_at, now), plain: (j) => j.created_at },
    {
      header: 'TOOK',
      align: 'right',
      human: (j) => duration(between(j.created_at, j.finished_at, now)),
      plain: (j) => String((between(j.created_at, j.finished_at, now) ?? 0) / 1000),
    },
    {
      header: 'ERROR',
      human: (j) => (j.error === undefined ? '' : `${j.error.code}: ${j.error.message}`),
      paint: (text) => out.c.red(text),
    },
  ];
}

export async function list(flags: ListFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const page = await clientOf(command).jobs.list({
    limit: flags.limit,
    ...(flags.status === undefined ? {} : { status: flags.status }),
    ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
    ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
  });
  if (out.json) out.printJson(page.items);
  else if (page.items.length === 0) out.hint('no jobs');
  else out.table(page.items, jobColumns(out));
  // The next page is on stderr, so stdout stays the records alone.
  if (page.cursor !== undefined) out.note(`next page: --cursor ${page.cursor}`);
  return 0;
}

export async function get(jobId: string, flags: JsonFlag, command: Command): Promise<number> {
  const out = new Output(flags);
  const job = await clientOf(command).jobs.get(jobId);
  if (out.json) {
    out.printJson(job);
    return 0;
  }
  const now = out.now();
  const when = (iso: string | undefined): string =>
    iso === undefined ? '-' : out.tty ? `${age(iso, now)} (${iso})` : iso;
  const progress =
    job.status === 'RUNNING' && job.progress !== undefined
      ? ` ${Math.round(job.progress.percent)}%${job.progress.message === undefined ? '' : ` ${job.progress.message}`}`
      : '';
  out.details([
    ['job', job.job_id],
    ['pipeline', `${job.pipeline} (${job.entry_stage ?? '?'} → ${job.exit_stage ?? '?'})`],
    ['status', `${out.status(job.status)} at ${job.stage}${progress}`],
    ['hop', `${job.hop}, ${job.retry_count} retries of this stage, priority ${job.priority ?? 0}`],
    [
      'tags',
      Object.entries(job.tags ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-',
    ],
    ['created', when(job.created_at)],
    ['finished', when(job.finished_at)],
    ['took', duration(between(job.created_at, job.finished_at, now))],
    ...(job.error === undefined
      ? []
      : [['error', out.c.red(`${job.error.code}: ${job.error.message}`)] as const]),
    ['params', JSON.stringify(job.params)],
  ]);
  return 0;
}

const clock = (iso: string): string => iso.slice(11, 23);

function detailOf(event: JobEventRecord): string {
  const data = event.data ?? {};
  const error = data.error as { code?: unknown; message?: unknown } | undefined;
  if (error !== undefined) return `${String(error.code)}: ${String(error.message)}`;
  const rest = Object.entries(data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return rest.length > 120 ? `${rest.slice(0, 117)}...` : rest;
}

export async function events(jobId: string, flags: JsonFlag, command: Command): Promise<number> {
  const out = new Output(flags);
  const items = await clientOf(command).jobs.allEvents(jobId);
  if (out.json) {
    out.printJson(items);
    return 0;
  }
  out.table(items, [
    { header: 'TIME', human: (e) => clock(e.time), plain: (e) => e.time },
    { header: 'EVENT', human: (e) => e.type },
    { header: 'STAGE', human: (e) => e.stage },
    {
      header: 'STATUS',
      human: (e) => e.status,
      paint: (text, e) => out.status(e.status).replace(e.status, text),
    },
    { header: 'HOP', align: 'right', human: (e) => String(e.hop ?? '') },
    { header: 'TRY', align: 'right', human: (e) => String(e.attempt ?? '') },
    { header: 'DETAIL', human: detailOf },
  ]);
  return 0;
}

export async function attempts(jobId: string, flags: JsonFlag, command: Command): Promise<number> {
  const out = new Output(flags);
  const items = await clientOf(command).jobs.attempts(jobId);
  if (out.json) {
    out.printJson(items);
    return 0;
  }
  const now = out.now();
  out.table<Attempt>(items, [
    { header: 'STAGE', human: (a) => a.stage },
    { header: 'TRY', align: 'right', human: (a) => String(a.attempt) },
    { header: 'HOP', align: 'right', human: (a) => String(a.hop) },
    {
      header: 'OUTCOME',
      human: (a) => a.outcome,
      paint: (text, a) => (a.outcome === 'completed' ? out.c.green(text) : out.c.yellow(text)),
    },
    { header: 'STARTED', human: (a) => age(a.started_at, now), plain: (a) => a.started_at },
    {
      header: 'TOOK',
      align: 'right',
      human: (a) => duration(a.duration_ms),
      plain: (a) => String(a.duration_ms / 1000),
    },
    { header: 'WORKER', human: (a) => a.worker },
    { header: 'ERROR', human: (a) => (a.error === undefined ? '' : `${a.error.code}: ${a.error.message}`) },
  ]);
  return 0;
}

export async function watch(jobId: string, flags: JsonFlag, command: Command): Promise<number> {
  const { connection, jobs } = clientOf(command);
  return watchJob({ out: new Output(flags), jobs, connection, jobId });
}

export async function control(
  verb: 'abort' | 'pause' | 'resume',
  jobId: string,
  flags: ControlFlags,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const { jobs } = clientOf(command);
  const job =
    verb === 'abort'
      ? await jobs.abort(jobId, flags.reason)
      : verb === 'pause'
        ? await jobs.pause(jobId)
        : await jobs.resume(jobId);
  if (out.json) out.printJson(job);
  else out.table([job], jobColumns(out));
  if (verb === 'abort' && job.status !== 'ABORTED')
    out.hint('  the running stage stops at its next check of ctx.signal');
  if (verb === 'pause' && job.status !== 'PAUSED')
    out.hint('  the running stage stops and re-runs on resume');
  return 0;
}

export async function replay(jobId: string, flags: ReplayFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const { connection, jobs } = clientOf(command);
  const before = await jobs.get(jobId);
  const pipeline = await pipelineNamed(jobs, before.pipeline).catch((error: unknown) => {
    if (error instanceof UsageError) return undefined; // a pipeline no longer deployed: the API says
    throw error;
  });
  let overrides = typedParams(flags.param, undefined);
  if (pipeline !== undefined) {
    const from = stageNamed(pipeline, flags.from ?? before.stage, '--from');
    overrides = typedParams(flags.param, from.inputs);
    const merged = { ...before.params, ...overrides };
    const problems = checkParams(from.inputs, merged);
    if (hasProblems(problems)) {
      throw paramsError(
        `${pipeline.name} cannot replay from stage '${from.name}'`,
        `stage '${from.name}'`,
        from.inputs,
        problems,
        merged,
      );
    }
  }
  const job = await jobs.replay(jobId, {
    ...(flags.from === undefined ? {} : { from_stage: flags.from }),
    ...(flags.param === undefined ? {} : { params: overrides }),
  });
  if (flags.watch === true) {
    if (!out.json)
      out.line(out.tty ? `${out.c.green('✓')} Replaying job ${job.job_id} from ${job.stage}` : job.job_id);
    return watchJob({ out, jobs, connection, jobId, pipeline });
  }
  if (out.json) out.printJson(job);
  else out.table([job], jobColumns(out));
  return 0;
}
