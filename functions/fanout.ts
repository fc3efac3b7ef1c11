import { LiveFanout } from '../lib/core/api/fanout.js';
import { ConfigError } from '../lib/core/ports/errors.js';
import { createFanoutHandler } from '../lib/shells/lambda/bus-handlers.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';

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
