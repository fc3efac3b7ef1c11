import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpApi } from '../../core/api/index.js';
import type { Caller } from '../../core/control/index.js';

export interface HttpHandlerOptions {
  /** The JWT claim that holds the tenant. @default 'custom:tenant_id' */
  readonly tenantClaim?: string;
}

/** The tenant and user of a request, from the claims the JWT authorizer verified. */
export function callerFromClaims(
  claims: Readonly<Record<string, string | number | boolean | string[]>> | undefined,
  tenantClaim: string,
): Caller | undefined {
  const tenant = claims?.[tenantClaim];
  if (typeof tenant !== 'string' || tenant.length === 0) return undefined;
  const sub = claims?.sub;
  return typeof sub === 'string' ? { tenantId: tenant, userId: sub } : { tenantId: tenant };
}

/** The HTTP API's Lambda handler: API Gateway (HTTP API, payload 2.0, JWT authorizer) → HttpApi. */
export function createHttpHandler(
  api: HttpApi,
  options: HttpHandlerOptions = {},
): (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2> {
  const tenantClaim = options.tenantClaim ?? 'custom:tenant_id';
  return async (event) => {
    const body =
      event.body === undefined
        ? undefined
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const response = await api.handle({
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      body,
      caller: callerFromClaims(event.requestContext.authorizer?.jwt?.claims, tenantClaim),
      requestId: event.requestContext.requestId,
      headers: Object.fromEntries(
        Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      ),
    });
    return {
      statusCode: response.status,
      headers: { 'content-type': 'application/json', ...response.headers },
      body: response.body === undefined ? '' : JSON.stringify(response.body),
    };
  };
}
