import { createHoldSweeper } from '../bus-handlers.js';
import { coldStart } from '../context.js';
import { instrument } from '../middleware.js';

/** Scheduled every minute: the deployment's upkeep (jobs parked by expired holds). */
export function sweeperFunction() {
  const ctx = coldStart('sweeper', 'stagecoach-sweeper');
  return instrument(ctx, createHoldSweeper(ctx.deployment));
}
