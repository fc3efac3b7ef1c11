import type { Command } from 'commander';
import { z } from 'zod';
import { JobsClient } from '../client/jobs.js';
import { type OmaClient as Client, OmaClient } from '../client/oma.js';
import { checkParams } from '../client/params.js';
import {
  type AnalysisRecord,
  type AnalysisType,
  FddParametersSchema,
  isFinished,
  MultiSetupParametersSchema,
  PreprocessingParametersSchema,
  parametersSchema,
  SsiParametersSchema,
} from '../pipelines/oma/schemas.js';
import { type Connection, connectionOf, EXIT, UsageError } from './command-kit.js';
import { watchJob } from './job-watch.js';
import { modesTable } from './oma-format.js';
import { age, type Column, Output } from './output.js';
import { hasProblems, paramsError, typedParams } from './param-input.js';
import { uploadMeasurement } from './upload.js';

/** The work of `stagecoach oma …` (defined in lib/cli/oma.ts). */

export interface JsonFlag {
  readonly json?: boolean;
}
export interface CreateFlags extends JsonFlag {
  readonly type: AnalysisType;
  readonly param?: readonly (readonly [string, string])[];
  /** MULTI_SETUP: the setups (`--setup`). */
  readonly setup?: readonly unknown[];
  readonly id?: string;
  readonly name?: string;
  readonly quiet?: boolean;
}
export interface RunFlags extends JsonFlag {
  readonly watch?: boolean;
}
export interface AbortFlags extends JsonFlag {
  readonly reason?: string;
}

function clientsOf(command: Command): { connection: Connection; oma: Client; jobs: JobsClient } {
  const connection = connectionOf(command);
  return { connection, oma: new OmaClient(connection), jobs: new JobsClient(connection) };
}

/** The analysis's parameters, typed and checked as the service will, before anything is sent. */
function parameters(
  type: AnalysisType,
  texts: CreateFlags['param'],
  setups: CreateFlags['setup'],
): Record<string, unknown> {
  const object = {
    PREPROCESSING: PreprocessingParametersSchema,
    FDD: FddParametersSchema,
    SSI: SsiParametersSchema,
    MULTI_SETUP: MultiSetupParametersSchema,
  }[type];
  const json = z.toJSONSchema(object, { io: 'input', unrepresentable: 'any' });
  const params = { ...typedParams(texts, json), ...(setups === undefined ? {} : { setups }) };
  const problems = checkParams(json, params);
  if (hasProblems(problems)) {
    throw paramsError(`invalid ${type} parameters`, `${type} analyses`, json, problems, params);
  }
  // What JSON Schema cannot say (fmin below fmax, a bandpass with two cutoffs).
  const parsed = parametersSchema(type).safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`);
    throw new UsageError(`invalid ${type} parameters: ${issues.join('; ')}`);
  }
  return params;
}

export async function create(structure: string, flags: CreateFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const params = parameters(flags.type, flags.param, flags.setup);
  const created = await clientsOf(command).oma.createAnalysis(structure, {
    type: flags.type,
    parameters: params,
    ...(flags.id === undefined ? {} : { analysis_id: flags.id }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
  });
  if (out.json) {
    out.printJson(created);
    return 0;
  }
  const id = created.analysis_id;
  out.created(
    id,
    () =>
      `${out.c.green('✓')} Created ${created.type} analysis ${out.c.bold(id)} of ${structure} (${created.status})`,
  );
  out.hint(
    created.type === 'PREPROCESSING'
      ? `  next: stagecoach oma upload ${structure} ${id} <file.csv>, then stagecoach oma run ${structure} ${id} --watch`
      : `  next: stagecoach oma run ${structure} ${id} --watch (it reuses ${structure}'s dataset; or upload a CSV first)`,
  );
  return 0;
}

export async function upload(
  structure: string,
  analysis: string,
  file: string,
  command: Command,
): Promise<number> {
  const target = await uploadMeasurement(clientsOf(command).oma, structure, analysis, file);
  new Output().line(`uploaded ${file} → ${target.key}`);
  return 0;
}

function analysisColumns(out: Output): Column<AnalysisRecord>[] {
  const now = out.now();
  return [
    { header: 'ANALYSIS', human: (r) => r.analysis_id },
    { header: 'TYPE', human: (r) => r.type },
    {
      header: 'STATUS',
      human: (r) => r.status,
      paint: (text, r) => out.status(r.status).replace(r.status, text),
    },
    { header: 'RUNS', align: 'right', human: (r) => String(r.run_number) },
    { header: 'UPDATED', human: (r) => age(r.updated_at, now), plain: (r) => r.updated_at },
    {
      header: 'OUTCOME',
      human: (r) =>
        r.status === 'ERROR'
          ? (r.error?.message ?? '')
          : r.summary !== undefined
            ? `${r.summary.modes.length} modes: ${r.summary.modes.map((m) => m.frequency.toFixed(2)).join(', ')} Hz`
            : r.dataset !== undefined
              ? `dataset ${r.dataset.channels} ch × ${r.dataset.samples} at ${r.dataset.fs} Hz`
              : '',
    },
  ];
}

/** The line that ends a watch: `SSI <id>: DONE`, or the status and the error. */
const finalLine = (r: AnalysisRecord): string =>
  `${r.type} ${r.analysis_id}: ${r.status}${r.error === undefined ? '' : ` — ${r.error.message}`}`;

/** Follows the analysis's run (its job) to the end; then waits for the record to say so too. */
async function follow(
  out: Output,
  clients: { connection: Connection; oma: Client; jobs: JobsClient },
  structure: string,
  record: AnalysisRecord,
): Promise<number> {
  const runId = record.run_id;
  if (runId === undefined) {
    throw new Error(
      `analysis ${record.analysis_id} has not run yet; start it with: stagecoach oma run ${structure} ${record.analysis_id} --watch`,
    );
  }
  const code = await watchJob({
    out,
    jobs: clients.jobs,
    connection: clients.connection,
    jobId: runId,
    resume: `stagecoach oma watch ${structure} ${record.analysis_id}`,
    summary: false,
  });
  if (code === EXIT.interrupted) return code;
  // The record follows the job's end by a moment (the service's status listener).
  let final = await clients.oma.getAnalysis(structure, record.analysis_id);
  for (let i = 0; i < 100 && final.run_id === runId && !isFinished(final.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    final = await clients.oma.getAnalysis(structure, record.analysis_id);
  }
  if (out.json) out.line(JSON.stringify(final));
  else out.line(finalLine(final));
  return final.status === 'DONE' ? EXIT.ok : EXIT.failure;
}

export async function start(
  structure: string,
  analysis: string,
  flags: RunFlags,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const clients = clientsOf(command);
  const queued = await clients.oma.run(structure, analysis);
  if (flags.watch === true) {
    if (!out.json)
      out.line(`${queued.type} ${queued.analysis_id}: ${queued.status} (run ${queued.run_id ?? '?'})`);
    return follow(out, clients, structure, queued);
  }
  if (out.json) out.printJson(queued);
  else out.table([queued], analysisColumns(out));
  out.hint(`  follow it: stagecoach oma watch ${structure} ${analysis}`);
  return 0;
}

export async function watch(
  structure: string,
  analysis: string,
  flags: JsonFlag,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const clients = clientsOf(command);
  const record = await clients.oma.getAnalysis(structure, analysis);
  return follow(out, clients, structure, record);
}

export async function status(
  structure: string,
  analysis: string | undefined,
  flags: JsonFlag,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const { oma } = clientsOf(command);
  if (analysis === undefined) {
    const records = await oma.listAnalyses(structure);
    if (out.json) out.printJson(records);
    else if (records.length === 0) out.hint(`structure ${structure} has no analyses`);
    else out.table(records, analysisColumns(out));
    return 0;
  }
  const r = await oma.getAnalysis(structure, analysis);
  if (out.json) {
    out.printJson(r);
    return 0;
  }
  const now = out.now();
  const when = (iso: string | undefined): string =>
    iso === undefined ? '-' : out.tty ? `${age(iso, now)} (${iso})` : iso;
  out.details([
    ['analysis', `${r.analysis_id} (${r.type}) of structure ${r.structure_id}`],
    ['status', out.status(r.status)],
    ['parameters', JSON.stringify(r.parameters)],
    ['created', `${when(r.created_at)}${r.created_by === undefined ? '' : ` by ${r.created_by}`}`],
    ...(r.run_id === undefined ? [] : ([['run', `#${r.run_number} ${r.run_id}`]] as const)),
    ...(r.started_at === undefined ? [] : ([['started', when(r.started_at)]] as const)),
    ...(r.finished_at === undefined ? [] : ([['finished', when(r.finished_at)]] as const)),
    ...(r.dataset_key === undefined ? [] : ([['dataset', r.dataset_key]] as const)),
    ...(r.error === undefined
      ? []
      : ([['error', out.c.red(`${r.error.code}: ${r.error.message}`)]] as const)),
    ...(r.summary === undefined
      ? []
      : ([
          ['modes', r.summary.modes.map((m) => `${m.frequency.toFixed(3)} Hz`).join(', ') || 'none'],
        ] as const)),
  ]);
  return 0;
}

export async function results(
  structure: string,
  analysis: string,
  flags: JsonFlag,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const answer = await clientsOf(command).oma.results(structure, analysis);
  if (out.json) out.printJson(answer);
  else if (out.tty || answer.result === null) out.line(modesTable(answer));
  else {
    // Piped: one row per mode (number, f, ζ, σf, σζ, MPC), for scripts.
    answer.result.modes.forEach((m, i) => {
      out.line(
        [
          i + 1,
          m.frequency,
          m.damping ?? '',
          m.uncertainty?.frequency_std ?? '',
          m.uncertainty?.damping_std ?? '',
          m.mpc ?? '',
        ].join('\t'),
      );
    });
  }
  return 0;
}

export async function abort(
  structure: string,
  analysis: string,
  flags: AbortFlags,
  command: Command,
): Promise<number> {
  const out = new Output(flags);
  const record = await clientsOf(command).oma.abort(structure, analysis, flags.reason);
  if (out.json) out.printJson(record);
  else out.table([record], analysisColumns(out));
  if (record.status !== 'ABORTED') out.hint('  abort requested: the run stops within a second or two');
  return 0;
}
