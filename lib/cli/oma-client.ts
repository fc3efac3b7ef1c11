import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  type AnalysisRecord,
  AnalysisRecordSchema,
  type CreateAnalysisRequest,
  StructureRecordSchema,
} from '../pipelines/oma/schemas.js';

/**
 * A typed client of the OMA analyses API (docs/oma-service.md), used by `stagecoach oma`, the demo
 * and the end-to-end tests. Every answer is parsed with the service's own schemas; a failure is an
 * {@link OmaApiError} carrying the HTTP status and the API's message.
 */

export class OmaApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'OmaApiError';
    this.status = status;
    this.code = code;
  }

  /** One line for a terminal: `HTTP 404 NOT_FOUND: Analysis 'x' of structure 'y' was not found.` */
  describe(): string {
    return this.status === 0 ? this.message : `HTTP ${this.status} ${this.code}: ${this.message}`;
  }
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const UploadUrlSchema = z.object({
  url: z.string(),
  method: z.literal('PUT'),
  key: z.string(),
  expires_in_s: z.number(),
});
export type UploadUrlAnswer = z.output<typeof UploadUrlSchema>;

const ListSchema = z.object({ items: z.array(AnalysisRecordSchema), cursor: z.string().optional() });

const StructureAnswerSchema = z.object({
  structure_id: z.string(),
  dataset: StructureRecordSchema.nullable(),
});

const ResultModeSchema = z.object({
  frequency: z.number(),
  damping: z.number().nullable(),
  shape: z.array(z.number().nullable()),
  frequencyStd: z.number().nullable().optional(),
  dampingStd: z.number().nullable().optional(),
  mpc: z.number().nullable().optional(),
  order: z.number().nullable().optional(),
  error: z.string().optional(),
});

export const ResultsAnswerSchema = z.object({
  structure_id: z.string(),
  analysis_id: z.string(),
  type: z.string(),
  run_id: z.string().optional(),
  result_id: z.string().optional(),
  download_url: z.string().optional(),
  truncated: z.boolean().optional(),
  result: z
    .object({
      method: z.string(),
      fs: z.number(),
      channels: z.array(z.string()),
      modes: z.array(ResultModeSchema),
      macMatrix: z.array(z.array(z.number().nullable())),
      warnings: z.array(z.string()).default([]),
      timings: z.record(z.string(), z.number().nullable()).default({}),
      parameters: z.record(z.string(), z.unknown()).default({}),
    })
    .loose()
    .nullable(),
  dataset: z.unknown().optional(),
});
export type ResultsAnswer = z.output<typeof ResultsAnswerSchema>;
export type ResultMode = z.output<typeof ResultModeSchema>;

export interface OmaClientOptions {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** Bearer token (a dev token locally, a Cognito ID token in AWS). */
  readonly token: string;
}

export class OmaClient {
  readonly url: string;
  readonly #token: string;

  constructor(options: OmaClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
  }

  createAnalysis(structureId: string, request: CreateAnalysisRequest): Promise<AnalysisRecord> {
    return this.#call('POST', this.#analyses(structureId), AnalysisRecordSchema, request);
  }

  getAnalysis(structureId: string, analysisId: string): Promise<AnalysisRecord> {
    return this.#call('GET', this.#analysis(structureId, analysisId), AnalysisRecordSchema);
  }

  async listAnalyses(structureId: string): Promise<AnalysisRecord[]> {
    const items: AnalysisRecord[] = [];
    let cursor: string | undefined;
    do {
      const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
      const page = await this.#call('GET', `${this.#analyses(structureId)}${query}`, ListSchema);
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return items;
  }

  structure(structureId: string): Promise<z.output<typeof StructureAnswerSchema>> {
    return this.#call('GET', `/structures/${encodeURIComponent(structureId)}`, StructureAnswerSchema);
  }

  uploadUrl(structureId: string, analysisId: string): Promise<UploadUrlAnswer> {
    return this.#call('POST', `${this.#analysis(structureId, analysisId)}/upload-url`, UploadUrlSchema, {});
  }

  /** Uploads the measurement CSV (a file path, or bytes) through a presigned PUT. */
  async upload(
    structureId: string,
    analysisId: string,
    source: string | Uint8Array,
  ): Promise<UploadUrlAnswer> {
    const target = await this.uploadUrl(structureId, analysisId);
    if (typeof source === 'string') {
      const size = (await stat(source)).size;
      await put(target.url, createReadStream(source), size);
    } else {
      await put(target.url, Readable.from([Buffer.from(source)]), source.byteLength);
    }
    return target;
  }

  run(structureId: string, analysisId: string): Promise<AnalysisRecord> {
    return this.#call('POST', `${this.#analysis(structureId, analysisId)}/run`, AnalysisRecordSchema, {});
  }

  abort(structureId: string, analysisId: string, reason?: string): Promise<AnalysisRecord> {
    return this.#call(
      'POST',
      `${this.#analysis(structureId, analysisId)}/abort`,
      AnalysisRecordSchema,
      reason === undefined ? {} : { reason },
    );
  }

  results(structureId: string, analysisId: string): Promise<ResultsAnswer> {
    return this.#call('GET', `${this.#analysis(structureId, analysisId)}/results`, ResultsAnswerSchema);
  }

  #analyses(structureId: string): string {
    return `/structures/${encodeURIComponent(structureId)}/analyses`;
  }

  #analysis(structureId: string, analysisId: string): string {
    return `${this.#analyses(structureId)}/${encodeURIComponent(analysisId)}`;
  }

  async #call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
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
      throw new OmaApiError(
        response.status,
        'BAD_RESPONSE',
        `${method} ${path} answered with non-JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) {
      const error = ErrorBodySchema.safeParse(json);
      throw error.success
        ? new OmaApiError(response.status, error.data.error.code, error.data.error.message)
        : new OmaApiError(response.status, 'HTTP_ERROR', `${method} ${path} failed: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new OmaApiError(
        response.status,
        'BAD_RESPONSE',
        `${method} ${path}: unexpected answer (${parsed.error.message.slice(0, 300)})`,
      );
    }
    return parsed.data;
  }
}

function unreachable(url: string, error: unknown): OmaApiError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new OmaApiError(
    0,
    'UNREACHABLE',
    `cannot reach ${url} (${cause}); is the API running (stagecoach dev), and is --url right?`,
  );
}

/**
 * A streaming PUT with a Content-Length, as presigned S3 URLs require (no chunked encoding), on
 * node:http so a large CSV is never held in memory.
 */
function put(url: string, body: Readable, size: number): Promise<void> {
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
            new OmaApiError(status, 'UPLOAD_FAILED', `the upload was refused: ${text || res.statusMessage}`),
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
