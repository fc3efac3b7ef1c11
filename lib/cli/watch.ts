import type { Command } from 'commander';
import { action, connectionOptions } from './command-kit.js';
import type { StreamFlags } from './stream-run.js';

/**
 * `stagecoach watch [job]`: the live API from a terminal, so no WebSocket client is needed — a
 * tenant's whole stream (every job's events and the services' events), or one job to its end.
 */
export function registerWatchCommand(program: Command): void {
  connectionOptions(
    program
      .command('watch [job]')
      .description(
        "follow a job to its end, or without one the tenant's live stream of events (Ctrl-C stops)",
      ),
  )
    .option('--pipeline <name>', 'the stream: only this pipeline’s jobs')
    .option('--json', 'print each message as a JSON line')
    .addHelpText(
      'after',
      `
Examples:
  stagecoach watch                      # every event of your tenant, as it happens
  stagecoach watch --json | jq .        # the raw messages
  stagecoach watch <job>                # one job's stages, to its end (as: stagecoach jobs watch)`,
    )
    .action(
      action(async (job: string | undefined, flags: StreamFlags, command: Command) => {
        const run = await import('./stream-run.js');
        return job === undefined ? run.stream(flags, command) : run.one(job, flags, command);
      }),
    );
}
