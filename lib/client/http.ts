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

  async call<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
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
      // A 404 page that is not the API's JSON: the base URL points at something else.
      throw response.status === 404
        ? new ApiError(
            404,
            'NOT_AN_API',
            `${this.url} has no Stagecoach API (HTTP 404 for ${method} ${path})`,
          )
        : new ApiError(
            response.status,
            'BAD_RESPONSE',
            `${method} ${path} answered with non-JSON: ${text.slice(0, 200).split('\n')[0]}`,
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

/** The network error under a failed fetch or socket (undici and `ws` wrap it as the cause). */
function rootCause(error: unknown): { code: string; message: string } {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    message = current.message;
    const code = Reflect.get(current, 'code');
    if (typeof code === 'string' && code !== '') return { code, message };
    current = current.cause;
  }
  return { code: '', message };
}

const TLS_CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/;

/**
 * Why `url` could not be reached, in one line that points at the cause: plain HTTP answering a
 * TLS client, nothing listening, a name that does not resolve, a refused certificate. The
 * ApiError's code says which (`TLS_MISMATCH`, `UNREACHABLE`, `TLS_CERTIFICATE`), so a caller can
 * add its own advice (the command line names the flag to change).
 */
export function unreachable(url: string, error: unknown): ApiError {
  const { code, message } = rootCause(error);
  // OpenSSL's text spans lines and names source files; its first line is enough.
  const first = message.split('\n')[0]?.trim() ?? '';
  let where = url;
  try {
    const parsed = new URL(url);
    where = parsed.host;
  } catch {
    // not a URL: say it as given
  }
  const secure = /^(https|wss):/.test(url);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(first)) {
    const plain = url.replace(/^https:/, 'http:').replace(/^wss:/, 'ws:');
    return new ApiError(0, 'TLS_MISMATCH', `${where} answered in plain HTTP, not TLS: use ${plain}`);
  }
  if (!secure && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || /other side closed/i.test(first))) {
    return new ApiError(
      0,
      'UNREACHABLE',
      `${where} closed the connection without answering (if it speaks TLS, use ${url.replace(/^http:/, 'https:').replace(/^ws:/, 'wss:')})`,
    );
  }
  if (TLS_CERTIFICATE.test(code)) {
    return new ApiError(0, 'TLS_CERTIFICATE', `the TLS certificate of ${where} was refused (${code})`);
  }
  const reason =
    code === 'ECONNREFUSED'
      ? `nothing is listening at ${where} (connection refused)`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot resolve the host of ${url}`
        : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
          ? `no answer from ${where} (timed out)`
          : `cannot reach ${url} (${first || code || 'network error'})`;
  return new ApiError(0, 'UNREACHABLE', reason);
}
