import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAnalyzeCommand } from './analyze.js';
import { registerDevCommand } from './dev.js';
import { registerJobsCommand } from './jobs.js';
import { registerOmaCommand } from './oma.js';

/** The `stagecoach` command line: each sub-command lives in its own file under lib/cli. */
export function buildProgram(): Command {
  const program = new Command('stagecoach')
    .description('Stagecoach: multi-stage job pipelines on AWS, and the OMA service')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)');
  registerAnalyzeCommand(program);
  registerDevCommand(program);
  registerJobsCommand(program);
  registerOmaCommand(program);
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
