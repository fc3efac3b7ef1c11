import { HttpApi } from '../lib/core/api/http-api.js';
import { jobRoutes } from '../lib/core/api/job-routes.js';
import { serviceRoutes } from '../lib/pipelines/index.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { createHttpHandler } from '../lib/shells/lambda/http-handler.js';
import { instrument } from '../lib/shells/lambda/middleware.js';

// The HTTP API: API Gateway's JWT authorizer has verified the caller; the tenant is a claim.
const ctx = coldStart('stagecoach-api');
const api = new HttpApi(
  [...jobRoutes(ctx.jobs), ...serviceRoutes({ jobs: ctx.jobs, backend: ctx.backend, logger: ctx.logger })],
  {
    logger: ctx.logger,
  },
);
export const handler = instrument(
  ctx,
  createHttpHandler(api, { tenantClaim: process.env.STAGECOACH_TENANT_CLAIM ?? 'custom:tenant_id' }),
);
