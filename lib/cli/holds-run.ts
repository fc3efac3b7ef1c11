import type { Command } from 'commander';
import { type Hold, JobsClient } from '../client/jobs.js';
import { connectionOf } from './command-kit.js';
import type { JsonFlag } from './jobs-run.js';
import { age, duration, Output } from './output.js';

/** The work of `stagecoach holds …` (defined in lib/cli/holds.ts). */

export interface HoldFlags extends JsonFlag {
  readonly selector: Record<string, string>;
  readonly ttl: number;
  readonly reason?: string;
  readonly quiet?: boolean;
}

const clientOf = (command: Command): JobsClient => new JobsClient(connectionOf(command));

export async function listHolds(flags: JsonFlag, command: Command): Promise<number> {
  const out = new Output(flags);
  const holds = await clientOf(command).holds();
  if (out.json) {
    out.printJson(holds);
    return 0;
  }
  if (holds.length === 0) out.hint('no holds');
  const now = out.now();
  out.table<Hold>(holds, [
    { header: 'HOLD', human: (h) => h.hold_id },
    {
      header: 'SELECTOR',
      human: (h) =>
        Object.entries(h.selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    },
    { header: 'EXPIRES', human: (h) => age(h.until, now), plain: (h) => h.until },
    { header: 'REASON', human: (h) => h.reason ?? '' },
  ]);
  return 0;
}

export async function setHold(flags: HoldFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const hold = await clientOf(command).setHold({
    selector: flags.selector,
    ttl_s: flags.ttl,
    ...(flags.reason === undefined ? {} : { reason: flags.reason }),
  });
  if (out.json) out.printJson(hold);
  else {
    const tags = Object.entries(hold.selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out.created(
      hold.hold_id,
      () =>
        `${out.c.green('✓')} Hold ${out.c.bold(hold.hold_id)} parks jobs tagged ${tags} until ${hold.until} (${duration(flags.ttl * 1000)})`,
    );
  }
  out.hint(`  release them: stagecoach holds clear ${hold.hold_id}`);
  return 0;
}

export async function clearHold(holdId: string, flags: JsonFlag, command: Command): Promise<number> {
  const out = new Output(flags);
  const released = await clientOf(command).clearHold(holdId);
  if (out.json) out.printJson({ released });
  else out.line(`released ${released} job(s)`);
  return 0;
}
