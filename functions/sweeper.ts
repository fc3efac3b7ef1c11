import { createHoldSweeper } from '../lib/shells/lambda/bus-handlers.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';

// Scheduled every minute: releases the jobs parked by holds that have expired.
const ctx = coldStart('stagecoach-sweeper');
export const handler = instrument(ctx, createHoldSweeper(ctx.jobs, ctx.logger));
