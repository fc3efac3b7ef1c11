import { coldStart } from '../context.js';
import { createHttpHandler } from '../http-handler.js';
import { instrument } from '../middleware.js';

/**
 * The HTTP API: API Gateway's JWT authorizer has verified the caller; the tenant is a claim. With
 * STAGECOACH_TENANT_ROLE_ARN set, each request reaches the table and the bucket on its tenant's session.
 */
export function apiFunction() {
  const ctx = coldStart('api', 'stagecoach-api');
  return instrument(
    ctx,
    createHttpHandler(ctx.deployment.httpApi(), {
      tenantClaim: ctx.config.tenantClaim,
      ...(ctx.tenantScope === undefined ? {} : { scope: ctx.tenantScope }),
    }),
  );
}
