import { z } from 'zod';

/**
 * The typed client of the Stagecoach API that the command line and the web console share: calls
 * the API with a bearer token over fetch (Node 20 and browsers alike), parses every answer with the
 * caller's schema, and turns failures into an {@link ApiError} carrying the HTTP status, the API's
 * code and message, and its structured details when it gives some.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** What the API said beyond the message (e.g. the params a submit lacks), when it said it. */
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** One line for a terminal: `HTTP 404 NOT_FOUND: Analysis 'x' of structure 'y' was not found.` */
  describe(): string {
    return this.status === 0 ? this.message : `HTTP ${this.status} ${this.code}: ${this.message}`;
  }
}

const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export interface ApiClientOptions {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** Bearer token (a dev token locally, a Cognito ID token in AWS). */
  readonly token: string;
}

export class ApiClient {
  readonly url: string;
  readonly #token: string;

  constructor(options: ApiClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
  }

  async call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw unreachable(this.url, error);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `${method} ${path} answered with non-JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) {
      const error = ErrorBodySchema.safeParse(json);
      throw error.success
        ? new ApiError(
            response.status,
            error.data.error.code,
            error.data.error.message,
            error.data.error.details,
          )
        : new ApiError(response.status, 'HTTP_ERROR', `${method} ${path} failed: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `${method} ${path}: unexpected answer (${parsed.error.message.slice(0, 300)})`,
      );
    }
    return parsed.data;
  }
}

export function unreachable(url: string, error: unknown): ApiError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new ApiError(
    0,
    'UNREACHABLE',
    `cannot reach ${url} (${cause}); is the API running (stagecoach dev), and is --url right?`,
  );
}
