import { createDeadLetterHandler } from '../bus-handlers.js';
import { coldStart } from '../context.js';
import { instrument } from '../middleware.js';

/** Every stage's dead-letter queue: records the message and its reason, fails its job. */
export function deadLettersFunction() {
  const ctx = coldStart('deadLetters', 'stagecoach-dead-letters');
  return instrument(ctx, createDeadLetterHandler(ctx.deployment.deadLetters()));
}
