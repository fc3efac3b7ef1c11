import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeadLetterHandler } from '../../../core/dead-letters.js';
import type { LiveFanout } from '../../../core/fanout.js';
import type { JobService } from '../../../core/jobs.js';
import type { Logger } from '../../../core/logger.js';
import { EventItemSchema } from '../dynamo-items.js';
import { messageOf, queueNameFromArn } from './sqs-records.js';

/** EventBridge → WebSocket: pushes each lifecycle or progress event to its subscribers. */
export function createFanoutHandler(
  fanout: LiveFanout,
  logger: Logger,
): (event: EventBridgeEvent<string, unknown>) => Promise<{ delivered: number }> {
  return async (event) => {
    const parsed = EventItemSchema.safeParse(event.detail);
    if (!parsed.success) {
      logger.warn('ignoring an event that is not a Stagecoach job event', {
        detail_type: event['detail-type'],
      });
      return { delivered: 0 };
    }
    return { delivered: await fanout.deliver(parsed.data) };
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

/** Scheduled: releases the jobs of holds that have expired. */
export function createHoldSweeper(jobs: JobService, logger: Logger): () => Promise<{ released: number }> {
  return async () => {
    const released = await jobs.releaseExpiredHolds();
    if (released > 0) logger.info('released jobs of expired holds', { released });
    return { released };
  };
}
