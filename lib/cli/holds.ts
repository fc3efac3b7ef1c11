import type { Command } from 'commander';
import { action, connectionOptions, keyValue, seconds } from './command-kit.js';
import type * as Run from './holds-run.js';
import type { JsonFlag } from './jobs-run.js';

/** `stagecoach holds …`: park jobs by their tags (the work: lib/cli/holds-run.ts). */

const run = () => import('./holds-run.js');

export function registerHoldsCommand(program: Command): void {
  const holds = connectionOptions(
    program.command('holds').description('park jobs whose tags match, for a while'),
  ).addHelpText(
    'after',
    `
A hold parks every job of the tenant whose tags match its selector as HELD, until it is cleared
or expires; clearing it sends the parked jobs on.

Examples:
  HOLD=$(stagecoach holds set --selector provider=acme --ttl 10m --reason "quota")
  stagecoach holds list
  stagecoach holds clear "$HOLD"`,
  );

  holds
    .command('list')
    .description("the tenant's holds: selector, time left, reason")
    .option('--json', 'print JSON')
    .action(action(async (flags: JsonFlag, command: Command) => (await run()).listHolds(flags, command)));

  holds
    .command('set')
    .description('hold jobs whose tags match the selector; prints the hold id')
    .requiredOption('--selector <key=value>', 'a tag to match (repeatable; all must match)', keyValue)
    .requiredOption(
      '--ttl <duration>',
      'how long the hold lasts: 600, 90s, 10m, 2h, 1d (≤ 30d)',
      seconds(30 * 86_400),
    )
    .option('--reason <text>', 'why, shown with the hold')
    .option('--json', 'print the hold as JSON')
    .option('-q, --quiet', 'print only the hold id')
    .action(action(async (flags: Run.HoldFlags, command: Command) => (await run()).setHold(flags, command)));

  holds
    .command('clear <hold>')
    .description('remove a hold and release the jobs it parked')
    .option('--json', 'print {"released": n}')
    .action(
      action(async (hold: string, flags: JsonFlag, command: Command) =>
        (await run()).clearHold(hold, flags, command),
      ),
    );
}
