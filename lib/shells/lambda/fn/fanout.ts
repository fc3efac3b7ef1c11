import { createFanoutHandler } from '../bus-handlers.js';
import { coldStart, liveChannel } from '../context.js';
import { instrument } from '../middleware.js';

/** EventBridge rule → the WebSocket connections subscribed to each event. */
export function fanoutFunction() {
  const ctx = coldStart('fanout', 'stagecoach-fanout');
  return instrument(
    ctx,
    createFanoutHandler(ctx.deployment.fanout(liveChannel(ctx.backend.live)), ctx.deployment.logger),
  );
}
