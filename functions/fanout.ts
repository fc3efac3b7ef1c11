import { createFanoutHandler } from '../lib/adapters/aws/lambda/bus-handlers.js';
import { ConfigError, LiveFanout } from '../lib/core/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

// EventBridge rule → this function → the WebSocket connections subscribed to each event.
const ctx = coldStart('stagecoach-fanout');
const live = ctx.backend.live;
if (live === undefined)
  throw new ConfigError('The environment', [
    'STAGECOACH_WS_ENDPOINT is required: the WebSocket API endpoint',
  ]);
export const handler = instrument(
  ctx,
  createFanoutHandler(new LiveFanout(ctx.backend.store, live, ctx.logger), ctx.logger),
);
