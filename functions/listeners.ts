import { createListenersHandler } from '../lib/adapters/aws/lambda/bus-handlers.js';
import { listeners } from '../lib/pipelines/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

// EventBridge rule (the job events of the pipelines listeners follow) → the services' listeners.
const ctx = coldStart('stagecoach-listeners');
export const handler = instrument(
  ctx,
  createListenersHandler(listeners, { backend: ctx.backend, logger: ctx.logger }),
);
