import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { TenantScope } from '../../adapters/aws/tenant-scope.js';
import type { HttpApi, HttpRequest } from '../../core/api/index.js';
import type { Caller } from '../../core/control/index.js';
import { IdSchema } from '../../core/ports/index.js';

export interface HttpHandlerOptions {
  /** The JWT claim that holds the tenant. @default 'custom:tenant_id' */
  readonly tenantClaim?: string;
  /**
   * Serves each authenticated request inside its tenant's scope, so tenant-scoped stores reach the
   * data with that tenant's session (token vending). @default none: the backend's own access
   */
  readonly scope?: Pick<TenantScope, 'run'>;
}

/**
 * The tenant and user of a request, from the claims the JWT authorizer verified. A tenant id that
 * is not an id (a `/` or `#` in it could reach into another tenant's keys and storage prefix) is
 * no tenant: the request is unauthenticated.
 */
export function callerFromClaims(
  claims: Readonly<Record<string, string | number | boolean | string[]>> | undefined,
  tenantClaim: string,
): Caller | undefined {
  const tenant = claims?.[tenantClaim];
  if (typeof tenant !== 'string' || !IdSchema.safeParse(tenant).success) return undefined;
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
    const caller = callerFromClaims(event.requestContext.authorizer?.jwt?.claims, tenantClaim);
    const request: HttpRequest = {
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      body,
      caller,
      requestId: event.requestContext.requestId,
      headers: Object.fromEntries(
        Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
      ),
    };
    const scope = options.scope;
    const response =
      scope === undefined || caller === undefined
        ? await api.handle(request)
        : await scope.run(caller.tenantId, () => api.handle(request));
    return {
      statusCode: response.status,
      headers: { 'content-type': 'application/json', ...response.headers },
      body: response.body === undefined ? '' : JSON.stringify(response.body),
    };
  };
}
