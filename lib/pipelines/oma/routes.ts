import { z } from 'zod';
import { parseJsonBody, parseWith, type Route } from '../../core/api/index.js';
import type { JobService } from '../../core/control/index.js';
import type { Backend, Logger } from '../../core/ports/index.js';
import { AnalysisService } from './analysis-service.js';
import { AbortAnalysisSchema } from './schemas.js';

const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  cursor: z.string().optional(),
});

/**
 * The analyses API, beside the job API and behind the same authentication. Every route works in
 * the caller's tenant: another tenant's structure or analysis is a 404, like a missing one.
 *
 *   GET  /structures/:sid                              the structure and its reusable dataset
 *   POST /structures/:sid/analyses                     create { type, parameters?, analysis_id?, name? } → 201 READY
 *   GET  /structures/:sid/analyses                     list (?limit, ?cursor)
 *   GET  /structures/:sid/analyses/:id                 one analysis
 *   POST /structures/:sid/analyses/:id/upload-url      presigned PUT for the measurement CSV
 *   POST /structures/:sid/analyses/:id/run             → 202 QUEUED (409 while QUEUED or RUNNING)
 *   POST /structures/:sid/analyses/:id/abort           → 202 { reason? } (409 unless QUEUED, RUNNING or ABORTED)
 *   GET  /structures/:sid/analyses/:id/results         the results (409 unless DONE)
 */
export function analysisRoutes(context: {
  readonly jobs: JobService;
  readonly backend: Backend;
  readonly logger?: Logger;
}): Route[] {
  const service = new AnalysisService(context);
  const base = '/structures/:sid/analyses';
  return [
    {
      method: 'GET',
      path: '/structures/:sid',
      handler: async (req, p) => ({ status: 200, body: await service.structure(req.caller, p.sid ?? '') }),
    },
    {
      method: 'POST',
      path: base,
      handler: async (req, p) => ({
        status: 201,
        body: await service.create(req.caller, p.sid ?? '', parseJsonBody(req.body)),
      }),
    },
    {
      method: 'GET',
      path: base,
      handler: async (req, p) => {
        const query = parseWith(PageQuerySchema, req.query, 'query');
        return { status: 200, body: await service.list(req.caller, p.sid ?? '', query) };
      },
    },
    {
      method: 'GET',
      path: `${base}/:id`,
      handler: async (req, p) => ({
        status: 200,
        body: await service.get(req.caller, p.sid ?? '', p.id ?? ''),
      }),
    },
    {
      method: 'POST',
      path: `${base}/:id/upload-url`,
      handler: async (req, p) => ({
        status: 200,
        body: await service.uploadUrl(req.caller, p.sid ?? '', p.id ?? ''),
      }),
    },
    {
      method: 'POST',
      path: `${base}/:id/run`,
      handler: async (req, p) => ({
        status: 202,
        body: await service.run(req.caller, p.sid ?? '', p.id ?? ''),
      }),
    },
    {
      method: 'POST',
      path: `${base}/:id/abort`,
      handler: async (req, p) => {
        const { reason } = parseWith(AbortAnalysisSchema, parseJsonBody(req.body), 'abort request');
        return { status: 202, body: await service.abort(req.caller, p.sid ?? '', p.id ?? '', reason) };
      },
    },
    {
      method: 'GET',
      path: `${base}/:id/results`,
      handler: async (req, p) => ({
        status: 200,
        body: await service.results(req.caller, p.sid ?? '', p.id ?? ''),
      }),
    },
  ];
}
