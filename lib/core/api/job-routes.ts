import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HoldRequestSchema, ReplayRequestSchema, SubmitRequestSchema } from '../control/job-requests.js';
import type { JobService } from '../control/jobs.js';
import { ValidationError } from '../ports/errors.js';
import { JOB_STATUSES, type JobRecord } from '../ports/job.js';
import { parseJsonBody, parseWith, type Route } from './http-api.js';

/** What the API shows of a job: its state, not the worker bookkeeping (lease, version, TTL). */
export function jobView(job: JobRecord): Record<string, unknown> {
  const { lease: _lease, version: _version, expires_at: _expires, ...view } = job;
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined));
}

/**
 * The job id an `Idempotency-Key` stands for when the submit names none: the same key gives the
 * same job, so a client that lost the answer can send the request again without making a second job.
 */
export function jobIdForKey(key: string): string {
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ValidationError(
      'The Idempotency-Key header must be 1-255 visible ASCII characters (a UUID is a good choice).',
      { code: 'BAD_IDEMPOTENCY_KEY' },
    );
  }
  // Shaped as a UUID (version 8: a name-based one of ours), like the ids the API makes itself.
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `key:value[,key:value…]` — every pair must match. */
const TagFilterSchema = z
  .string()
  .max(1_000)
  .transform((text, ctx) => {
    const tags: Record<string, string> = {};
    for (const pair of text.split(',').filter(Boolean)) {
      const at = pair.indexOf(':');
      if (at <= 0) {
        ctx.addIssue({ code: 'custom', message: `tag filters are key:value pairs, got '${pair}'` });
        return z.NEVER;
      }
      tags[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return tags;
  });

const ListQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  pipeline: z.string().max(64).optional(),
  stage: z.string().max(64).optional(),
  tag: TagFilterSchema.optional(),
  since: z.iso.datetime({ error: 'must be an ISO-8601 time such as 2026-12-01T00:00:00Z' }).optional(),
  until: z.iso.datetime({ error: 'must be an ISO-8601 time such as 2026-12-01T00:00:00Z' }).optional(),
  /** Job ids starting with this. */
  q: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  cursor: z.string().max(2_000).optional(),
});

const CountsQuerySchema = z.object({
  pipeline: z.string().max(64).optional(),
  since: z.iso.datetime({ error: 'must be an ISO-8601 time such as 2026-12-01T00:00:00Z' }).optional(),
});

const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  cursor: z.string().optional(),
});

const AbortSchema = z.object({ reason: z.string().max(500).optional() }).strict();

/** The job API: submit, read, list and control jobs, and manage holds. */
export function jobRoutes(jobs: JobService): Route[] {
  return [
    {
      method: 'POST',
      path: '/jobs',
      handler: async (req) => {
        const request = parseWith(SubmitRequestSchema, parseJsonBody(req.body), 'job request');
        const key = req.headers?.['idempotency-key'];
        const { job, created } = await jobs.submitted(
          key === undefined || request.job_id !== undefined
            ? request
            : { ...request, job_id: jobIdForKey(key) },
          req.caller,
        );
        // A repeat (same job_id or Idempotency-Key, same request) answers the job it made: 200.
        return { status: created ? 201 : 200, body: jobView(job) };
      },
    },
    {
      method: 'GET',
      path: '/jobs',
      handler: async (req) => {
        const { tag, q, ...query } = parseWith(ListQuerySchema, req.query, 'query');
        const page = await jobs.list(req.caller, {
          ...query,
          ...(tag === undefined ? {} : { tags: tag }),
          ...(q === undefined ? {} : { idPrefix: q }),
        });
        return {
          status: 200,
          body: { items: page.items.map(jobView), ...(page.cursor ? { cursor: page.cursor } : {}) },
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/counts',
      handler: async (req) => ({
        status: 200,
        body: await jobs.counts(req.caller, parseWith(CountsQuerySchema, req.query, 'query')),
      }),
    },
    {
      method: 'GET',
      path: '/jobs/:id',
      handler: async (req, p) => ({ status: 200, body: jobView(await jobs.get(p.id ?? '', req.caller)) }),
    },
    {
      method: 'GET',
      path: '/jobs/:id/events',
      handler: async (req, p) => {
        const query = parseWith(PageQuerySchema, req.query, 'query');
        const page = await jobs.events(p.id ?? '', req.caller, query);
        return { status: 200, body: { items: page.items, ...(page.cursor ? { cursor: page.cursor } : {}) } };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:id/attempts',
      handler: async (req, p) => ({
        status: 200,
        body: { items: await jobs.attempts(p.id ?? '', req.caller) },
      }),
    },
    {
      method: 'POST',
      path: '/jobs/:id/abort',
      handler: async (req, p) => {
        const { reason } = parseWith(AbortSchema, parseJsonBody(req.body), 'abort request');
        return { status: 202, body: jobView(await jobs.abort(p.id ?? '', req.caller, reason)) };
      },
    },
    {
      method: 'POST',
      path: '/jobs/:id/pause',
      handler: async (req, p) => ({ status: 202, body: jobView(await jobs.pause(p.id ?? '', req.caller)) }),
    },
    {
      method: 'POST',
      path: '/jobs/:id/resume',
      handler: async (req, p) => ({ status: 202, body: jobView(await jobs.resume(p.id ?? '', req.caller)) }),
    },
    {
      method: 'POST',
      path: '/jobs/:id/replay',
      handler: async (req, p) => ({
        status: 202,
        body: jobView(
          await jobs.replay(
            p.id ?? '',
            req.caller,
            parseWith(ReplayRequestSchema, parseJsonBody(req.body), 'replay request'),
          ),
        ),
      }),
    },
    {
      method: 'GET',
      path: '/pipelines',
      handler: async () => ({ status: 200, body: { items: jobs.pipelines() } }),
    },
    {
      method: 'GET',
      path: '/holds',
      handler: async (req) => ({ status: 200, body: { items: await jobs.listHolds(req.caller) } }),
    },
    {
      method: 'POST',
      path: '/holds',
      handler: async (req) => ({
        status: 201,
        body: await jobs.setHold(
          req.caller,
          parseWith(HoldRequestSchema, parseJsonBody(req.body), 'hold request'),
        ),
      }),
    },
    {
      method: 'DELETE',
      path: '/holds/:id',
      handler: async (req, p) => ({
        status: 200,
        body: { released: await jobs.clearHold(req.caller, p.id ?? '') },
      }),
    },
  ];
}
