import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyResultV2,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { z } from 'zod';
import type { LiveApi } from '../../core/api/index.js';
import type { Caller } from '../../core/control/index.js';
import { IdSchema, type Logger } from '../../core/ports/index.js';

/** The fields of a WebSocket route event the handlers use, parsed rather than trusted. */
const WebSocketEventSchema = z.object({
  requestContext: z.object({
    connectionId: z.string().min(1),
    routeKey: z.string(),
    // The tenant must be an id: it leads every key and storage prefix of the tenant.
    authorizer: z.object({ tenant_id: IdSchema, user_id: z.string().optional() }).optional(),
  }),
  body: z.string().optional().nullable(),
});

export interface WebSocketHandlers {
  readonly connect: (event: unknown) => Promise<APIGatewayProxyResultV2>;
  readonly disconnect: (event: unknown) => Promise<APIGatewayProxyResultV2>;
  readonly message: (event: unknown) => Promise<APIGatewayProxyResultV2>;
}

/**
 * $connect stores the connection with the tenant the authorizer established (no tenant, no
 * connection); $disconnect removes it and its subscriptions; $default handles subscribe /
 * unsubscribe / ping, replying through the Management API.
 */
export function createWebSocketHandlers(live: LiveApi, logger: Logger): WebSocketHandlers {
  const parse = (event: unknown) => {
    const parsed = WebSocketEventSchema.safeParse(event);
    if (!parsed.success)
      logger.error('unexpected WebSocket event', { issues: parsed.error.issues.slice(0, 3) });
    return parsed.success ? parsed.data : undefined;
  };
  return {
    connect: async (event) => {
      const e = parse(event);
      const tenant = e?.requestContext.authorizer?.tenant_id;
      if (e === undefined || tenant === undefined) return { statusCode: 401, body: 'Unauthorized' };
      const userId = e.requestContext.authorizer?.user_id;
      const caller: Caller = userId === undefined ? { tenantId: tenant } : { tenantId: tenant, userId };
      await live.connect(e.requestContext.connectionId, caller);
      return { statusCode: 200, body: 'Connected' };
    },
    disconnect: async (event) => {
      const e = parse(event);
      if (e !== undefined) await live.disconnect(e.requestContext.connectionId);
      return { statusCode: 200, body: 'Disconnected' };
    },
    message: async (event) => {
      const e = parse(event);
      if (e === undefined) return { statusCode: 400, body: 'Bad request' };
      await live.message(e.requestContext.connectionId, e.body ?? undefined);
      return { statusCode: 200, body: '' };
    },
  };
}

/** Checks a token and says who it belongs to; throws when it is not valid. */
export type TokenVerifier = (token: string) => Promise<Caller>;

/**
 * The Lambda authorizer of the WebSocket API's $connect. Browsers cannot set headers on a
 * WebSocket, so the token comes as `?token=` (or the Sec-WebSocket-Protocol header); the tenant
 * and user are handed to $connect in the authorizer context.
 */
export function createWebSocketAuthorizer(
  verify: TokenVerifier,
  logger: Logger,
): (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult> {
  return async (event) => {
    const token =
      event.queryStringParameters?.token ?? event.headers?.['Sec-WebSocket-Protocol'] ?? undefined;
    if (token === undefined || token === '') throw new Error('Unauthorized');
    let caller: Caller;
    try {
      caller = await verify(token);
    } catch (error) {
      logger.info('WebSocket token rejected', {
        reason: error instanceof Error ? error.message : String(error),
      });
      throw new Error('Unauthorized');
    }
    return {
      principalId: caller.userId ?? caller.tenantId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: {
        tenant_id: caller.tenantId,
        ...(caller.userId === undefined ? {} : { user_id: caller.userId }),
      },
    };
  };
}
