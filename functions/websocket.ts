import { createWebSocketHandlers } from '../lib/adapters/aws/lambda/websocket-handlers.js';
import { ConfigError } from '../lib/core/errors.js';
import { LiveApi } from '../lib/core/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

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
