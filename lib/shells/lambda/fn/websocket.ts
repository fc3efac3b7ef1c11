import { coldStart, liveChannel } from '../context.js';
import { instrument } from '../middleware.js';
import { createWebSocketHandlers } from '../websocket-handlers.js';

/** The WebSocket API's $connect, $disconnect and $default routes. */
export function websocketFunctions() {
  const ctx = coldStart('websocket', 'stagecoach-websocket');
  const handlers = createWebSocketHandlers(
    ctx.deployment.liveApi(liveChannel(ctx.backend.live)),
    ctx.deployment.logger,
  );
  return {
    connect: instrument(ctx, handlers.connect),
    disconnect: instrument(ctx, handlers.disconnect),
    message: instrument(ctx, handlers.message),
  };
}
