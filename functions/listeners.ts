import { listeners } from '../lib/pipelines/index.js';
import { createListenersHandler } from '../lib/shells/lambda/bus-handlers.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';

// EventBridge rule (the job events of the pipelines listeners follow) → the services' listeners.
const ctx = coldStart('stagecoach-listeners');
export const handler = instrument(
  ctx,
  createListenersHandler(listeners, { backend: ctx.backend, logger: ctx.logger }),
);
