import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { z } from 'zod';

/**
 * The HTTP side of the command line: calls the Stagecoach API with a bearer token, parses every
 * answer with the caller's schema, and turns failures into an {@link ApiError} carrying the HTTP
 * status and the API's own message.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }

  /** One line for a terminal: `HTTP 404 NOT_FOUND: Analysis 'x' of structure 'y' was not found.` */
  describe(): string {
    return this.status === 0 ? this.message : `HTTP ${this.status} ${this.code}: ${this.message}`;
  }
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

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
        ? new ApiError(response.status, error.data.error.code, error.data.error.message)
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

/**
 * A streaming PUT with a Content-Length, as presigned S3 URLs require (no chunked encoding), on
 * node:http so a large CSV is never held in memory.
 */
export function put(url: string, body: Readable, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'PUT', headers: { 'content-length': String(size) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
          reject(
            new ApiError(status, 'UPLOAD_FAILED', `the upload was refused: ${text || res.statusMessage}`),
          );
        }
      });
    });
    req.on('error', (error) => reject(unreachable(`${target.protocol}//${target.host}`, error)));
    body.on('error', (error) => {
      req.destroy();
      reject(error);
    });
    body.pipe(req);
  });
}
