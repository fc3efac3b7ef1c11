import type { Command } from 'commander';
import { action, choice, connectionOptions, paramText } from './command-kit.js';
import type * as Run from './oma-run.js';
import { ANALYSIS_TYPES } from './vocabulary.js';

/**
 * `stagecoach oma …`: the OMA analyses API from a terminal. This file defines the commands;
 * their work loads when they run (lib/cli/oma-run.ts).
 */

const run = () => import('./oma-run.js');

export function registerOmaCommand(program: Command): void {
  const oma = connectionOptions(
    program.command('oma').description('operational modal analysis of structures through the analyses API'),
  ).addHelpText(
    'after',
    `
Examples (against \`stagecoach dev\`, token dev-token-tenant-a):
  ID=$(stagecoach oma create bridge-7 --type PREPROCESSING)
  stagecoach oma upload bridge-7 "$ID" record.csv
  stagecoach oma run bridge-7 "$ID" --watch
  SSI=$(stagecoach oma create bridge-7 --type SSI --param fmax=20)   # reuses the dataset
  stagecoach oma run bridge-7 "$SSI" --watch && stagecoach oma results bridge-7 "$SSI"`,
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
}
