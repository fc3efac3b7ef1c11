import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { loadConfig } from '../../config.js';
import { observability } from '../context.js';
import { instrument } from '../middleware.js';
import { PowertoolsLogger } from '../powertools-logger.js';
import { createWebSocketAuthorizer } from '../websocket-handlers.js';

/**
 * Verifies the Cognito ID token a WebSocket client passes as ?token= on $connect. It needs none of
 * the deployment's tables or queues, so it builds only what it uses.
 */
export function wsAuthorizerFunction() {
  const config = loadConfig('wsAuthorizer');
  const tools = observability('stagecoach-ws-authorizer');
  const verifier = CognitoJwtVerifier.create({
    userPoolId: config.userPoolId,
    clientId: config.userPoolClientId,
    tokenUse: 'id',
  });
  return instrument(
    tools,
    createWebSocketAuthorizer(async (token) => {
      const claims = await verifier.verify(token);
      const tenant = claims[config.tenantClaim];
      if (typeof tenant !== 'string' || tenant === '') {
        throw new Error(`the token has no ${config.tenantClaim} claim`);
      }
      return { tenantId: tenant, userId: claims.sub };
    }, new PowertoolsLogger(tools.powertools)),
  );
}
