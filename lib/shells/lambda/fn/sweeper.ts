import { createSweeper } from '../bus-handlers.js';
import { coldStart } from '../context.js';
import { instrument } from '../middleware.js';

/** Scheduled every minute: the deployment's upkeep (expired holds, the reconciler). */
export function sweeperFunction() {
  const ctx = coldStart('sweeper', 'stagecoach-sweeper');
  return instrument(ctx, createSweeper(ctx.deployment));
}
