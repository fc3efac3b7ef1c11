import { createHttpHandler } from '../lib/adapters/aws/lambda/http-handler.js';
import { HttpApi, jobRoutes } from '../lib/core/index.js';
import { serviceRoutes } from '../lib/pipelines/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

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
