import type { z } from 'zod';
import type { Caller } from '../control/job-requests.js';
import { formatIssues } from '../ports/contract.js';
import { RateLimitedError, StagecoachError, ValidationError } from '../ports/errors.js';
import { type Logger, silentLogger } from '../ports/logger.js';

/** A request as any transport delivers it (API Gateway, the local dev server, a test). */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body?: string | undefined;
  /** Set by the transport's authentication; undefined means the request is not authenticated. */
  readonly caller?: Caller | undefined;
  readonly requestId?: string;
  /** Request headers, names in lower case (only those a route reads are looked at). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (
  request: HttpRequest & { readonly caller: Caller },
  params: Readonly<Record<string, string>>,
) => Promise<HttpResponse>;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` segments, e.g. `/jobs/:id/events`. */
  readonly path: string;
  readonly handler: RouteHandler;
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  JOB_NOT_FOUND: 404,
  NOT_FOUND: 404,
  HOLD_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  JOB_EXISTS: 409,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  WAIT_TIMEOUT: 504,
  BACKEND_UNAVAILABLE: 503,
};

/** The HTTP status for an error: client mistakes are 4xx with their message, faults are 5xx. */
export function statusOf(error: unknown): number {
  if (!(error instanceof StagecoachError)) return 500;
  const known = STATUS_BY_CODE[error.code];
  if (known !== undefined) return known;
  return error.retryable ? 500 : 400;
}

export class HttpError extends StagecoachError {
  constructor(code: string, message: string) {
    super(code, message, false);
  }
}

export function parseJsonBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw new ValidationError('The request body is not valid JSON.', { code: 'BAD_REQUEST' });
  }
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ValidationError(`Invalid ${what}: ${formatIssues(parsed.error)}.`, { code: 'BAD_REQUEST' });
  return parsed.data;
}

/** The job API: submit, read, list and control jobs, and manage holds. */

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
}

/**
 * Routes requests to handlers and turns every error into a JSON response: `{ error: { code,
 * message } }` with the status the error calls for. Unexpected faults are logged with the request
 * id and answered without internals.
 */
export class HttpApi {
  readonly #routes: CompiledRoute[];
  readonly #log: Logger;

  constructor(routes: readonly Route[], options: { readonly logger?: Logger } = {}) {
    this.#routes = routes.map((route) => ({ ...route, segments: route.path.split('/').filter(Boolean) }));
    this.#log = (options.logger ?? silentLogger).child({ component: 'http-api' });
  }

  async handle(request: HttpRequest): Promise<HttpResponse> {
    try {
      const segments = request.path.split('/').filter(Boolean).map(decodeURIComponent);
      const matches = this.#routes.flatMap((route) => {
        const params = match(route.segments, segments);
        return params === undefined ? [] : [{ route, params }];
      });
      if (matches.length === 0) throw new HttpError('ROUTE_NOT_FOUND', `No route for ${request.path}.`);
      // A route with literal segments where another has a parameter wins (/jobs/counts over /jobs/:id).
      const found = matches
        .filter((m) => m.route.method === request.method.toUpperCase())
        .sort((a, b) => literals(b.route.segments) - literals(a.route.segments))[0];
      if (found === undefined) {
        throw new HttpError(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${request.path}; use ${matches.map((m) => m.route.method).join(' or ')}.`,
        );
      }
      if (request.caller === undefined) {
        throw new HttpError('UNAUTHENTICATED', 'Authentication is required: send a valid bearer token.');
      }
      return await found.route.handler({ ...request, caller: request.caller }, found.params);
    } catch (error) {
      const status = statusOf(error);
      if (status >= 500) {
        this.#log.error('request failed', { error, path: request.path, request_id: request.requestId });
      }
      const body =
        error instanceof StagecoachError && status < 500
          ? {
              error: {
                code: error.code,
                message: error.message,
                // Structured details a client can act on (e.g. the params a submit lacks).
                ...(error.context.details === undefined ? {} : { details: error.context.details }),
              },
            }
          : error instanceof StagecoachError && error.code === 'BACKEND_UNAVAILABLE'
            ? { error: { code: error.code, message: 'A backing service is unavailable; try again shortly.' } }
            : {
                error: {
                  code: 'INTERNAL',
                  message: `Internal error (request ${request.requestId ?? 'unknown'}).`,
                },
              };
      return error instanceof RateLimitedError
        ? { status, body, headers: { 'retry-after': String(error.retryAfterS) } }
        : { status, body };
    }
  }
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

const literals = (segments: readonly string[]): number => segments.filter((s) => !s.startsWith(':')).length;
