import { DeadLetterHandler } from '../lib/core/engine/dead-letters.js';
import { createDeadLetterHandler } from '../lib/shells/lambda/bus-handlers.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';

// Consumes every stage's dead-letter queue: records the message and its reason, fails its job.
const ctx = coldStart('stagecoach-dead-letters');
const deadLetters = new DeadLetterHandler({
  backend: ctx.backend,
  topology: ctx.topology,
  logger: ctx.logger,
});
export const handler = instrument(ctx, createDeadLetterHandler(deadLetters));
