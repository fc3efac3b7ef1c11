import { createListenersHandler } from '../bus-handlers.js';
import { coldStart } from '../context.js';
import { instrument } from '../middleware.js';

/** EventBridge rule (the job events of the pipelines listeners follow) → the services' listeners. */
export function listenersFunction() {
  const ctx = coldStart('listeners', 'stagecoach-listeners');
  return instrument(
    ctx,
    createListenersHandler(
      ctx.deployment.listeners,
      { backend: ctx.deployment.backend, logger: ctx.deployment.logger },
      ctx.tenantScope === undefined ? {} : { scope: ctx.tenantScope },
    ),
  );
}
