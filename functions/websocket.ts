import { LiveApi } from '../lib/core/api/live-api.js';
import { ConfigError } from '../lib/core/ports/errors.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';
import { createWebSocketHandlers } from '../lib/shells/lambda/websocket-handlers.js';

// The WebSocket API's $connect, $disconnect and $default routes.
const ctx = coldStart('stagecoach-websocket');
const live = ctx.backend.live;
if (live === undefined)
  throw new ConfigError('The environment', [
    'STAGECOACH_WS_ENDPOINT is required: the WebSocket API endpoint',
  ]);
const handlers = createWebSocketHandlers(
  new LiveApi({ store: ctx.backend.store, live, jobs: ctx.jobs, logger: ctx.logger }),
  ctx.logger,
);
export const connect = instrument(ctx, handlers.connect);
export const disconnect = instrument(ctx, handlers.disconnect);
export const message = instrument(ctx, handlers.message);
