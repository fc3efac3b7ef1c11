import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAnalyzeCommand } from './analyze.js';
import { EXIT } from './command-kit.js';
import { registerDevCommand } from './dev.js';
import { registerHoldsCommand } from './holds.js';
import { registerJobsCommand } from './jobs.js';
import { registerOmaCommand } from './oma.js';
import { registerWatchCommand } from './watch.js';

/**
 * The `stagecoach` command line: each command is defined in its own file under lib/cli, and its
 * work loads only when it runs. Every usage mistake (an unknown command or option, a bad flag
 * value) exits 2 with the valid values; help and the version exit 0.
 */
export function buildProgram(): Command {
  const program = new Command('stagecoach')
    .description('Stagecoach: multi-stage job pipelines on AWS, and the OMA service')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    // Set before the commands are added, so that every one of them inherits it.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .addHelpText(
      'after',
      `
Output: tables on a terminal (NO_COLOR turns colour off), tab-separated values when piped, --json
for machines; commands that create something print just its id when piped or with --quiet.
Exit codes: 0 ok, 1 failure (an API error; a watched job that did not end DONE), 2 usage, 130 Ctrl-C.`,
    );
  registerAnalyzeCommand(program);
  registerDevCommand(program);
  registerJobsCommand(program);
  registerHoldsCommand(program);
  registerOmaCommand(program);
  registerWatchCommand(program);
  return program;
}

/** The version in the package's package.json (two folders up from lib/cli, in source or build). */
function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
