import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { EventItemSchema, ServiceEventSchema } from '../../adapters/aws/dynamo-items.js';
import type { TenantScope } from '../../adapters/aws/tenant-scope.js';
import type { LiveFanout } from '../../core/api/index.js';
import { dispatchToListeners } from '../../core/api/index.js';
import type { DeadLetterHandler } from '../../core/engine/index.js';
import type { Logger } from '../../core/ports/index.js';
import type { Listener, ListenerContext } from '../../core/sdk/index.js';
import { messageOf, queueNameFromArn } from './sqs-records.js';

/** The part of an EventBridge event the bus handlers read (the rest is not trusted or needed). */
export const BusEnvelopeSchema = z.object({ 'detail-type': z.string().optional(), detail: z.unknown() });
export type BusEnvelope = z.infer<typeof BusEnvelopeSchema>;

/** EventBridge → WebSocket: pushes each lifecycle, progress or service event to its subscribers. */
export function createFanoutHandler(
  fanout: LiveFanout,
  logger: Logger,
): (event: BusEnvelope) => Promise<{ delivered: number }> {
  return async (event) => {
    const job = EventItemSchema.safeParse(event.detail);
    if (job.success) return { delivered: await fanout.deliver(job.data) };
    const service = ServiceEventSchema.safeParse(event.detail);
    if (service.success) return { delivered: await fanout.deliverService(service.data) };
    logger.warn('ignoring an event that is not a Stagecoach event', { detail_type: event['detail-type'] });
    return { delivered: 0 };
  };
}

/**
 * EventBridge → listeners: runs the service listeners a job event is for; throws so it is retried.
 * With a `scope` (token vending on), they run in the event's tenant's scope, so the tenant data
 * they reach through `ctx.backend` is reached on that tenant's session.
 */
export function createListenersHandler(
  listeners: readonly Listener[],
  ctx: ListenerContext,
  options: { readonly scope?: Pick<TenantScope, 'run'> } = {},
): (event: BusEnvelope) => Promise<{ ran: number }> {
  return async (event) => {
    const parsed = EventItemSchema.safeParse(event.detail);
    if (!parsed.success) {
      ctx.logger.warn('ignoring an event that is not a job event', { detail_type: event['detail-type'] });
      return { ran: 0 };
    }
    const dispatch = () => dispatchToListeners(listeners, parsed.data, ctx);
    const { scope } = options;
    return { ran: scope === undefined ? await dispatch() : await scope.run(parsed.data.tenant_id, dispatch) };
  };
}

/** The dead-letter queues' consumer: records each message and fails the jobs whose stage kept crashing. */
export function createDeadLetterHandler(
  handler: DeadLetterHandler,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    await handler.handle(messageOf(record), queueNameFromArn(record.eventSourceARN));
  };
  return (event, context) => processPartialResponse(event, handleRecord, processor, { context });
}

/**
 * Scheduled: the deployment's upkeep — releases the jobs of holds that have expired and reconciles
 * jobs whose message is gone. Returns what it did.
 */
export function createSweeper<R>(deployment: { maintain(): Promise<R> }): () => Promise<R> {
  return () => deployment.maintain();
}
