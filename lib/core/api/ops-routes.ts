import { z } from 'zod';
import { type OperationsOptions, OperationsService } from '../control/operations.js';
import { parseWith, type Route } from './http-api.js';
import { jobView } from './job-routes.js';

const QueuesQuerySchema = z.object({
  window_minutes: z.coerce.number().int().min(1).max(120).optional(),
});

const LettersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/**
 * The operations API, beside the job API and behind the same authentication (see
 * lib/core/control/operations.ts for what each number counts and whose it is):
 *
 *   GET  /queues?window_minutes=15          per stage: queue depths, the caller's jobs, throughput
 *   GET  /dead-letters?limit=100            the caller's dead letters, newest first
 *   POST /dead-letters/:id/redrive          replays the letter's job from its stage → 202 the job
 */
export function opsRoutes(options: OperationsOptions): Route[] {
  const ops = new OperationsService(options);
  return [
    {
      method: 'GET',
      path: '/queues',
      handler: async (req) => {
        const query = parseWith(QueuesQuerySchema, req.query, 'query');
        return {
          status: 200,
          body: await ops.queues(
            req.caller,
            query.window_minutes === undefined ? {} : { windowMinutes: query.window_minutes },
          ),
        };
      },
    },
    {
      method: 'GET',
      path: '/dead-letters',
      handler: async (req) => {
        const query = parseWith(LettersQuerySchema, req.query, 'query');
        return {
          status: 200,
          body: {
            items: await ops.deadLetters(req.caller, query.limit === undefined ? {} : { limit: query.limit }),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/dead-letters/:id/redrive',
      handler: async (req, p) => {
        const { dead_letter_id, job } = await ops.redrive(req.caller, p.id ?? '');
        return { status: 202, body: { dead_letter_id, job: jobView(job) } };
      },
    },
  ];
}
