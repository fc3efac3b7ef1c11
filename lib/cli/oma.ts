import { type Command, InvalidArgumentError } from 'commander';
import {
  ANALYSIS_TYPES,
  type AnalysisRecord,
  type AnalysisType,
  isFinished,
} from '../pipelines/oma/schemas.js';
import { action, connectionOf, connectionOptions, parameter } from './command-kit.js';
import { OmaClient } from './oma-client.js';
import { analysesTable, analysisDetails, modesTable, ProgressBar } from './oma-format.js';
import { LiveClient, type WatchCallbacks, watchAnalysis } from './oma-live.js';

/**
 * `stagecoach oma create|upload|run|status|watch|results|abort`: the OMA analyses API from a
 * terminal. Exit codes: 0 success (watch: DONE), 1 failure (watch: ERROR or ABORTED; an API
 * error, printed as `error: HTTP <status> <code>: <message>`), 2 usage.
 */

function clientOf(command: Command): { client: OmaClient; wsUrl: string; token: string } {
  const connection = connectionOf(command);
  return { ...connection, client: new OmaClient(connection) };
}

function analysisType(value: string): AnalysisType {
  const type = ANALYSIS_TYPES.find((t) => t === value.toUpperCase().replaceAll('-', '_'));
  if (type === undefined)
    throw new InvalidArgumentError(`--type must be one of ${ANALYSIS_TYPES.join(', ')}, got '${value}'`);
  return type;
}

/** `--setup <analysis>=<ref>,<ref>`: one setup of a MULTI_SETUP analysis (integers are indices). */
export function setupOption(value: string, previous: unknown[] = []): unknown[] {
  const at = value.indexOf('=');
  const refs = value
    .slice(at + 1)
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (at <= 0 || refs.length === 0)
    throw new InvalidArgumentError(`--setup wants <analysis>=<reference>,<reference>…, got '${value}'`);
  const reference_channels = refs.map((r) => (/^\d+$/.test(r) ? Number(r) : r));
  return [...previous, { analysis_id: value.slice(0, at), reference_channels }];
}

/** Follows a run (started by `start`, or the current one) with a progress bar; 0 when it ends DONE. */
async function watch(
  command: Command,
  structure: string,
  analysis: string,
  start?: () => Promise<AnalysisRecord>,
): Promise<number> {
  const { client, wsUrl, token } = clientOf(command);
  const live = await LiveClient.connect(wsUrl, token);
  const bar = new ProgressBar(analysis.slice(0, 12));
  try {
    const callbacks: WatchCallbacks = {
      onProgress: (stage, percent, message) => bar.update(stage, percent, message),
      onStatus: (detail) => {
        if (!isFinished(detail.status))
          bar.line(`${detail.run_type} ${detail.document_id}: ${detail.status}`);
      },
    };
    const final = await watchAnalysis(
      client,
      live,
      structure,
      analysis,
      callbacks,
      start === undefined ? {} : { start },
    );
    bar.line(
      `${final.type} ${final.analysis_id}: ${final.status}${final.error === undefined ? '' : ` — ${final.error.message}`}`,
    );
    return final.status === 'DONE' ? 0 : 1;
  } finally {
    live.close();
  }
}

export function registerOmaCommand(program: Command): void {
  const oma = connectionOptions(
    program.command('oma').description('operational modal analysis of structures through the analyses API'),
  )
    // Usage mistakes exit 2 (as `stagecoach analyze`), help 0; every sub-command inherits this.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .addHelpText(
      'after',
      `
Examples (against \`stagecoach dev\`, token dev-token-tenant-a):
  stagecoach oma create bridge-7 --type PREPROCESSING --param fs=200
  stagecoach oma upload bridge-7 <analysis> record.csv
  stagecoach oma run bridge-7 <analysis> --watch
  stagecoach oma create bridge-7 --type SSI --param fmax=20      # reuses the structure's dataset
  stagecoach oma results bridge-7 <analysis>
  stagecoach oma create deck --type MULTI_SETUP --setup s1=R1,R2 --setup s2=R1,R2 --param merge=preger`,
    );

  oma
    .command('create <structure>')
    .description('create an analysis (READY); prints its id')
    .requiredOption('--type <type>', ANALYSIS_TYPES.join(' | '), analysisType)
    .option(
      '--param <key=value>',
      'an analysis parameter (repeatable), e.g. fs=200, fmax=20, decimate=auto',
      parameter,
    )
    .option(
      '--setup <analysis=refs>',
      'MULTI_SETUP: a setup (a DONE PREPROCESSING analysis) and its reference channels, e.g. s1=R1,R2 (repeatable, in order)',
      setupOption,
    )
    .option('--id <analysis>', 'choose the analysis id (default: generated)')
    .option('--name <name>', 'a label')
    .option('--json', 'print the analysis as JSON')
    .action(
      action(
        async (
          structure: string,
          flags: {
            type: AnalysisType;
            param?: Record<string, unknown>;
            setup?: unknown[];
            id?: string;
            name?: string;
            json?: boolean;
          },
          command: Command,
        ) => {
          const created = await clientOf(command).client.createAnalysis(structure, {
            type: flags.type,
            parameters: { ...flags.param, ...(flags.setup === undefined ? {} : { setups: flags.setup }) },
            ...(flags.id === undefined ? {} : { analysis_id: flags.id }),
            ...(flags.name === undefined ? {} : { name: flags.name }),
          });
          console.log(
            flags.json
              ? JSON.stringify(created, null, 2)
              : `${created.analysis_id}  ${created.type}  ${created.status}`,
          );
          return 0;
        },
      ),
    );

  oma
    .command('upload <structure> <analysis> <file>')
    .description("upload the analysis's measurement CSV (PUT to a presigned URL)")
    .action(
      action(async (structure: string, analysis: string, file: string, _flags: unknown, command: Command) => {
        const target = await clientOf(command).client.upload(structure, analysis, file);
        console.log(`uploaded ${file} → ${target.key}`);
        return 0;
      }),
    );

  oma
    .command('run <structure> <analysis>')
    .description('run the analysis (QUEUED); --watch follows it to the end')
    .option('--watch', 'show live progress until the run ends (exit 0 on DONE)')
    .action(
      action(async (structure: string, analysis: string, flags: { watch?: boolean }, command: Command) => {
        const start = async (): Promise<AnalysisRecord> => {
          const queued = await clientOf(command).client.run(structure, analysis);
          console.log(`${queued.analysis_id}  ${queued.type}  ${queued.status}  run ${queued.run_id ?? ''}`);
          return queued;
        };
        if (flags.watch) return watch(command, structure, analysis, start);
        await start();
        return 0;
      }),
    );

  oma
    .command('status <structure> [analysis]')
    .description("one analysis's details, or the structure's analyses")
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          structure: string,
          analysis: string | undefined,
          flags: { json?: boolean },
          command: Command,
        ) => {
          const { client } = clientOf(command);
          if (analysis !== undefined) {
            const record = await client.getAnalysis(structure, analysis);
            console.log(flags.json ? JSON.stringify(record, null, 2) : analysisDetails(record));
            return 0;
          }
          const records = await client.listAnalyses(structure);
          console.log(
            flags.json
              ? JSON.stringify(records, null, 2)
              : records.length === 0
                ? `structure ${structure} has no analyses`
                : analysesTable(records),
          );
          return 0;
        },
      ),
    );

  oma
    .command('watch <structure> <analysis>')
    .description('live progress of the current run until it ends; exit 0 on DONE, 1 on ERROR or ABORTED')
    .action(
      action(async (structure: string, analysis: string, _flags: unknown, command: Command) =>
        watch(command, structure, analysis),
      ),
    );

  oma
    .command('results <structure> <analysis>')
    .description('the identified modes (a table, or --json for the full result)')
    .option('--json', 'print the full result JSON')
    .action(
      action(async (structure: string, analysis: string, flags: { json?: boolean }, command: Command) => {
        const answer = await clientOf(command).client.results(structure, analysis);
        console.log(flags.json ? JSON.stringify(answer, null, 2) : modesTable(answer));
        return 0;
      }),
    );

  oma
    .command('abort <structure> <analysis>')
    .description('abort the running (or queued) analysis')
    .option('--reason <text>', 'why, kept with the job')
    .action(
      action(async (structure: string, analysis: string, flags: { reason?: string }, command: Command) => {
        const record = await clientOf(command).client.abort(structure, analysis, flags.reason);
        console.log(
          `${record.analysis_id}  ${record.type}  ${record.status}${record.status === 'ABORTED' ? '' : '  (abort requested)'}`,
        );
        return 0;
      }),
    );
}
