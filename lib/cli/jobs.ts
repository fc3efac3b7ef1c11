import type { Command } from 'commander';
import {
  action,
  choice,
  connectionOptions,
  integer,
  jsonObject,
  keyValue,
  paramText,
} from './command-kit.js';
import type * as Run from './jobs-run.js';
import { JOB_STATUSES } from './vocabulary.js';

/**
 * `stagecoach jobs …`: the job API from a terminal. This file only
 * defines the commands and their flags; each command's work loads when it runs
 * (lib/cli/jobs-run.ts), so `--help` and typos answer at once.
 */

const run = () => import('./jobs-run.js');

export function registerJobsCommand(program: Command): void {
  const jobs = connectionOptions(
    program.command('jobs').description('submit, inspect and control jobs'),
  ).addHelpText(
    'after',
    `
Output: tables on a terminal, tab-separated values when piped, --json for machines; submit prints
just the job id when piped or with --quiet. Exit codes: 0 ok (watch: DONE), 1 failure (watch:
FAILED or ABORTED), 2 usage, 130 interrupted.

Examples (against \`stagecoach dev\`, token dev-token-tenant-a):
  stagecoach jobs submit wordcount --param document_id=d1 --param text="to be or not to be" --watch
  JOB=$(stagecoach jobs submit wordcount --param document_id=d2 --param text=hello)
  stagecoach jobs list --status FAILED
  stagecoach jobs replay "$JOB" --from count --param top=3 --watch`,
  );

  jobs
    .command('submit <pipeline>')
    .description("submit a job, checked first against the entry stage's inputs; prints its id")
    .option('--params <json>', 'params as a JSON object', jsonObject)
    .option('--param <key=value>', 'one param (repeatable); typed as the stage wants it', paramText)
    .option('--entry <stage>', 'first stage to run (default: the first)')
    .option('--exit <stage>', 'last stage to run (default: the last)')
    .option('--priority <0-9>', 'priority lane', integer(0, 9))
    .option('--tag <key=value>', 'a tag, for holds (repeatable)', keyValue)
    .option('--job-id <id>', 'your id for the job (submitting it again returns the same job)')
    .option('--watch', 'follow the job until it ends (exit 0 on DONE)')
    .option('--json', 'print the job as JSON')
    .option('-q, --quiet', 'print only the job id')
    .action(
      action(async (pipeline: string, flags: Run.SubmitFlags, command: Command) =>
        (await run()).submit(pipeline, flags, command),
      ),
    );

  jobs
    .command('list')
    .description("the tenant's jobs, newest first")
    .option('--status <status>', `only this status: ${JOB_STATUSES.join(', ')}`, choice(JOB_STATUSES))
    .option('--pipeline <name>', 'only this pipeline')
    .option('--limit <n>', 'at most this many (1-1000)', integer(1, 1_000), 20)
    .option('--cursor <cursor>', 'the next page, as the previous page printed it')
    .option('--json', 'print JSON')
    .action(action(async (flags: Run.ListFlags, command: Command) => (await run()).list(flags, command)));

  jobs
    .command('get <job>')
    .description('one job: status, stages, times, params, error')
    .option('--json', 'print JSON')
    .action(
      action(async (job: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).get(job, flags, command),
      ),
    );

  jobs
    .command('events <job>')
    .description("the job's durable event log")
    .option('--json', 'print JSON')
    .action(
      action(async (job: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).events(job, flags, command),
      ),
    );

  jobs
    .command('attempts <job>')
    .description("the job's attempt history: each run of each stage, its outcome and duration")
    .option('--json', 'print JSON')
    .action(
      action(async (job: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).attempts(job, flags, command),
      ),
    );

  jobs
    .command('watch <job>')
    .description('follow a job live until it ends (exit 0 on DONE, 1 on FAILED or ABORTED)')
    .option('--json', 'print its events as JSON lines, then the job')
    .action(
      action(async (job: string, flags: Run.JsonFlag, command: Command) =>
        (await run()).watch(job, flags, command),
      ),
    );

  jobs
    .command('abort <job>')
    .description('abort: a waiting job at once, a running stage through its AbortSignal')
    .option('--reason <text>', 'recorded with the abort')
    .option('--json', 'print the job as JSON')
    .action(
      action(async (job: string, flags: Run.ControlFlags, command: Command) =>
        (await run()).control('abort', job, flags, command),
      ),
    );

  for (const verb of ['pause', 'resume'] as const) {
    jobs
      .command(`${verb} <job>`)
      .description(
        verb === 'pause' ? 'pause: a running stage stops and re-runs on resume' : 'resume a paused job',
      )
      .option('--json', 'print the job as JSON')
      .action(
        action(async (job: string, flags: Run.ControlFlags, command: Command) =>
          (await run()).control(verb, job, flags, command),
        ),
      );
  }

  jobs
    .command('replay <job>')
    .description('run a finished job again from its last stage, or --from another')
    .option('--from <stage>', 'the stage to run from')
    .option('--param <key=value>', 'override a param (repeatable)', paramText)
    .option('--watch', 'follow the job until it ends')
    .option('--json', 'print the job as JSON')
    .action(
      action(async (job: string, flags: Run.ReplayFlags, command: Command) =>
        (await run()).replay(job, flags, command),
      ),
    );
}
