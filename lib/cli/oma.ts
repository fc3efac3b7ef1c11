import { type Command, InvalidArgumentError } from 'commander';
import { action, choice, connectionOptions, integer, paramText, positiveNumber } from './command-kit.js';
import type * as Run from './oma-run.js';
import type { SimulateFlags } from './oma-simulate.js';
import { ANALYSIS_TYPES, SIMULATION_PRESETS } from './vocabulary.js';

/**
 * `stagecoach oma …`: the OMA analyses API from a terminal, and `oma simulate`, which writes a
 * record with known modes to try it on. This file defines the commands; their work loads when
 * they run (lib/cli/oma-run.ts, lib/cli/oma-simulate.ts).
 */

const run = () => import('./oma-run.js');

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

export function registerOmaCommand(program: Command): void {
  const oma = connectionOptions(
    program.command('oma').description('operational modal analysis of structures through the analyses API'),
  ).addHelpText(
    'after',
    `
Examples (against \`stagecoach dev\`, token dev-token-tenant-a):
  stagecoach oma simulate record.csv --preset bridge          # a record, and its true modes
  ID=$(stagecoach oma create bridge-7 --type PREPROCESSING)
  stagecoach oma upload bridge-7 "$ID" record.csv
  stagecoach oma run bridge-7 "$ID" --watch
  SSI=$(stagecoach oma create bridge-7 --type SSI --param fmax=20)   # reuses the dataset
  stagecoach oma run bridge-7 "$SSI" --watch && stagecoach oma results bridge-7 "$SSI"
  stagecoach oma create deck --type MULTI_SETUP --setup s1=R1,R2 --setup s2=R1,R2 --param merge=preger`,
  );

  oma
    .command('create <structure>')
    .description('create an analysis (READY), its parameters checked first; prints its id')
    .requiredOption('--type <type>', ANALYSIS_TYPES.join(' | '), choice(ANALYSIS_TYPES))
    .option(
      '--param <key=value>',
      'an analysis parameter (repeatable), e.g. fs=200, fmax=20, decimate=auto',
      paramText,
    )
    .option(
      '--setup <analysis=refs>',
      'MULTI_SETUP: a setup, its PREPROCESSING analysis and reference channels (repeatable), e.g. s1=R1,R2',
      setupOption,
    )
    .option('--id <analysis>', 'choose the analysis id (default: generated)')
    .option('--name <name>', 'a label')
    .option('--json', 'print the analysis as JSON')
    .option('-q, --quiet', 'print only the analysis id')
    .action(
      action(async (structure: string, flags: Run.CreateFlags, command: Command) =>
        (await run()).create(structure, flags, command),
      ),
    );

  oma
    .command('upload <structure> <analysis> <file>')
    .description("upload the analysis's measurement CSV (PUT to a presigned URL)")
    .action(
      action(async (structure: string, analysis: string, file: string, _flags: unknown, command: Command) =>
        (await run()).upload(structure, analysis, file, command),
      ),
    );

  oma
    .command('run <structure> <analysis>')
    .description('run the analysis (QUEUED); --watch follows it to the end')
    .option('--watch', 'show live progress until the run ends (exit 0 on DONE)')
    .option('--json', 'print the analysis as JSON (with --watch: the run’s events, then the analysis)')
    .action(
      action(async (structure: string, analysis: string, flags: Run.RunFlags, command: Command) =>
        (await run()).start(structure, analysis, flags, command),
      ),
    );

  oma
    .command('status <structure> [analysis]')
    .description("one analysis's details, or the structure's analyses")
    .option('--json', 'print JSON')
    .action(
      action(async (structure: string, analysis: string | undefined, flags: Run.JsonFlag, command: Command) =>
        (await run()).status(structure, analysis, flags, command),
      ),
    );

  oma
    .command('watch <structure> <analysis>')
    .description('live progress of the current run until it ends; exit 0 on DONE, 1 on ERROR or ABORTED')
    .option('--json', 'print the run’s events as JSON lines, then the analysis')
    .action(
      action(async (structure: string, analysis: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).watch(structure, analysis, flags, command),
      ),
    );

  oma
    .command('results <structure> <analysis>')
    .description('the identified modes (a table, or --json for the full result)')
    .option('--json', 'print the full result JSON')
    .action(
      action(async (structure: string, analysis: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).results(structure, analysis, flags, command),
      ),
    );

  oma
    .command('abort <structure> <analysis>')
    .description('abort the running (or queued) analysis')
    .option('--reason <text>', 'why, kept with the job')
    .option('--json', 'print the analysis as JSON')
    .action(
      action(async (structure: string, analysis: string, flags: Run.AbortFlags, command: Command) =>
        (await run()).abort(structure, analysis, flags, command),
      ),
    );

  oma
    .command('report <structure> <analysis>')
    .description("write one analysis as a self-contained HTML report (the console's plots, offline)")
    .requiredOption('-o, --output <file>', 'where to write the HTML')
    .action(
      action(async (structure: string, analysis: string, flags: { output: string }, command: Command) =>
        (await import('./oma-report.js')).writeReport(structure, analysis, flags, command),
      ),
    );

  oma
    .command('simulate <out.csv>')
    .description(
      "write a structure's simulated accelerations (a CSV with a time column) and its true modes (<out>.modes.json)",
    )
    .option(
      '--preset <preset>',
      'frame: 5-storey building, 5 ch, 100 Hz · tower: 60 m mast, 4 ch, 50 Hz · bridge: 3-span girder, 8 ch, 100 Hz',
      choice(SIMULATION_PRESETS),
      'bridge',
    )
    .option('--minutes <n>', "record length (default: the preset's, 5-20 min)", positiveNumber)
    .option('--seed <n>', 'random seed, for another record of the same structure', integer(1, 2 ** 31 - 1), 7)
    .option('--json', 'print the true modes as JSON')
    .addHelpText(
      'after',
      `
Then analyse it, locally or through the service:
  stagecoach analyze record.csv --method ssi
  stagecoach oma upload bridge-7 <analysis> record.csv`,
    )
    .action(
      action(async (file: string, flags: SimulateFlags) =>
        (await import('./oma-simulate.js')).simulate(file, flags),
      ),
    );
}
