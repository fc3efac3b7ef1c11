import { z } from 'zod';
import {
  type AnalysisRecord,
  AnalysisRecordSchema,
  type CreateAnalysisRequest,
  StructureRecordSchema,
} from '../pipelines/oma/schemas.js';
import { ApiClient, type ApiClientOptions } from './http.js';

/**
 * A typed client of the OMA analyses API (docs/oma-service.md), used by `stagecoach oma`, the
 * console, the demo and the end-to-end tests (uploads of a local file: lib/cli/upload.ts). Every answer is parsed with the service's own schemas; a failure is an
 * {@link ApiError} carrying the HTTP status and the API's message.
 */

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
  order_spread: z.object({ frequency: z.number().nullable(), damping: z.number().nullable() }).optional(),
  uncertainty: z
    .object({ frequency_std: z.number().nullable(), damping_std: z.number().nullable() })
    .loose()
    .optional(),
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

export type OmaClientOptions = ApiClientOptions;

export class OmaClient {
  readonly url: string;
  readonly #api: ApiClient;

  constructor(options: OmaClientOptions) {
    this.#api = new ApiClient(options);
    this.url = this.#api.url;
  }

  createAnalysis(structureId: string, request: CreateAnalysisRequest): Promise<AnalysisRecord> {
    return this.#api.call('POST', this.#analyses(structureId), AnalysisRecordSchema, request);
  }

  getAnalysis(structureId: string, analysisId: string): Promise<AnalysisRecord> {
    return this.#api.call('GET', this.#analysis(structureId, analysisId), AnalysisRecordSchema);
  }

  async listAnalyses(structureId: string): Promise<AnalysisRecord[]> {
    const items: AnalysisRecord[] = [];
    let cursor: string | undefined;
    do {
      const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
      const page = await this.#api.call('GET', `${this.#analyses(structureId)}${query}`, ListSchema);
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return items;
  }

  structure(structureId: string): Promise<z.output<typeof StructureAnswerSchema>> {
    return this.#api.call('GET', `/structures/${encodeURIComponent(structureId)}`, StructureAnswerSchema);
  }

  uploadUrl(structureId: string, analysisId: string): Promise<UploadUrlAnswer> {
    return this.#api.call(
      'POST',
      `${this.#analysis(structureId, analysisId)}/upload-url`,
      UploadUrlSchema,
      {},
    );
  }

  run(structureId: string, analysisId: string): Promise<AnalysisRecord> {
    return this.#api.call('POST', `${this.#analysis(structureId, analysisId)}/run`, AnalysisRecordSchema, {});
  }

  abort(structureId: string, analysisId: string, reason?: string): Promise<AnalysisRecord> {
    return this.#api.call(
      'POST',
      `${this.#analysis(structureId, analysisId)}/abort`,
      AnalysisRecordSchema,
      reason === undefined ? {} : { reason },
    );
  }

  results(structureId: string, analysisId: string): Promise<ResultsAnswer> {
    return this.#api.call('GET', `${this.#analysis(structureId, analysisId)}/results`, ResultsAnswerSchema);
  }

  #analyses(structureId: string): string {
    return `/structures/${encodeURIComponent(structureId)}/analyses`;
  }

  #analysis(structureId: string, analysisId: string): string {
    return `${this.#analyses(structureId)}/${encodeURIComponent(analysisId)}`;
  }
}
