import { Command } from 'commander';
import { registerAnalyzeCommand } from './analyze.js';
import { registerDevCommand } from './dev.js';
import { registerJobsCommand } from './jobs.js';
import { registerOmaCommand } from './oma.js';

/** The `stagecoach` command line: each sub-command lives in its own file under lib/cli. */
export function buildProgram(): Command {
  const program = new Command('stagecoach')
    .description('Stagecoach: multi-stage job pipelines on AWS, and the OMA service')
    .showHelpAfterError('(run with --help for usage)');
  registerAnalyzeCommand(program);
  registerDevCommand(program);
  registerJobsCommand(program);
  registerOmaCommand(program);
  return program;
}
