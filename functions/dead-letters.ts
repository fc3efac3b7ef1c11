import { createDeadLetterHandler } from '../lib/adapters/aws/lambda/bus-handlers.js';
import { DeadLetterHandler } from '../lib/core/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

// Consumes every stage's dead-letter queue: records the message and its reason, fails its job.
const ctx = coldStart('stagecoach-dead-letters');
const deadLetters = new DeadLetterHandler({
  backend: ctx.backend,
  topology: ctx.topology,
  logger: ctx.logger,
});
export const handler = instrument(ctx, createDeadLetterHandler(deadLetters));
