import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { PowertoolsLogger } from '../lib/adapters/aws/lambda/powertools-logger.js';
import { createWebSocketAuthorizer } from '../lib/adapters/aws/lambda/websocket-handlers.js';
import { ConfigError } from '../lib/core/errors.js';

// Verifies the Cognito ID token a WebSocket client passes as ?token= on $connect.
const userPoolId = process.env.STAGECOACH_USER_POOL_ID;
const clientId = process.env.STAGECOACH_USER_POOL_CLIENT_ID;
const tenantClaim = process.env.STAGECOACH_TENANT_CLAIM ?? 'custom:tenant_id';
if (!userPoolId || !clientId) {
  throw new ConfigError('The environment', [
    'STAGECOACH_USER_POOL_ID and STAGECOACH_USER_POOL_CLIENT_ID are required',
  ]);
}
const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'id' });
export const handler = createWebSocketAuthorizer(
  async (token) => {
    const claims = await verifier.verify(token);
    const tenant = claims[tenantClaim];
    if (typeof tenant !== 'string' || tenant === '') throw new Error(`the token has no ${tenantClaim} claim`);
    return { tenantId: tenant, userId: claims.sub };
  },
  new PowertoolsLogger(new Logger({ serviceName: 'stagecoach-ws-authorizer' })),
);
