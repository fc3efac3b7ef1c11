import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { ConfigError } from '../lib/core/ports/errors.js';
import { PowertoolsLogger } from '../lib/shells/lambda/powertools-logger.js';
import { createWebSocketAuthorizer } from '../lib/shells/lambda/websocket-handlers.js';

// Verifies the Cognito ID token a WebSocket client passes as ?token= on $connect. It needs none of
// the deployment's tables or queues, so it builds only what it uses.
const userPoolId = process.env.STAGECOACH_USER_POOL_ID;
const clientId = process.env.STAGECOACH_USER_POOL_CLIENT_ID;
const tenantClaim = process.env.STAGECOACH_TENANT_CLAIM ?? 'custom:tenant_id';
if (!userPoolId || !clientId) {
  throw new ConfigError('The environment', [
    'STAGECOACH_USER_POOL_ID and STAGECOACH_USER_POOL_CLIENT_ID are required',
  ]);
}
const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id' });
const service = 'stagecoach-ws-authorizer';
const logger = new Logger({ serviceName: service });
const metrics = new Metrics({ namespace: 'Stagecoach', serviceName: service });
const tracer = new Tracer({ serviceName: service });

const authorize = createWebSocketAuthorizer(async (token) => {
  const claims = await verifier.verify(token);
  const tenant = claims[tenantClaim];
  if (typeof tenant !== 'string' || tenant === '') throw new Error(`the token has no ${tenantClaim} claim`);
  return { tenantId: tenant, userId: claims.sub };
}, new PowertoolsLogger(logger));

export const handler = middy(authorize)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
