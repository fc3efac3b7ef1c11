import { createHoldSweeper } from '../lib/adapters/aws/lambda/bus-handlers.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

// Scheduled every minute: releases the jobs parked by holds that have expired.
const ctx = coldStart('stagecoach-sweeper');
export const handler = instrument(ctx, createHoldSweeper(ctx.jobs, ctx.logger));
