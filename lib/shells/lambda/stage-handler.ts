import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Outcome, StageRunner } from '../../core/engine/index.js';
import { type EventPublisher, type JobQueue, type Logger, sleep } from '../../core/ports/index.js';
import { SendBarrier } from './send-barrier.js';
import { messageOf, queueNameFromArn } from './sqs-records.js';

/** Time kept back from the Lambda deadline to give running stages back before the function dies. */
export const DEADLINE_MARGIN_MS = 15_000;

export interface StageHandlerDeps {
  readonly runner: StageRunner;
  readonly queue: JobQueue;
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Called for every message, for metrics. */
  readonly onOutcome?: (outcome: Outcome) => void;
  /**
   * Ends the function instance (Lambda starts a fresh one): called when a stage that ignored its
   * AbortSignal is still running, so its effects cannot run beside the worker that takes the stage
   * over. @default process.exit
   */
  readonly exit?: (code: number) => void;
}

/** Time kept back from the deadline after waiting for stages that ignored their signal. */
export const ZOMBIE_MARGIN_MS = 1_000;

/** A message the runner gave back (busy, interrupted): reported as a batch item failure, not deleted. */
class ReleasedError extends Error {
  constructor(outcome: string) {
    super(`message released (${outcome})`);
    this.name = 'ReleasedError';
  }
}

/**
 * The Lambda handler of one stage: each SQS record goes through the runner (the invocation's sends
 * batched by a SendBarrier); deleted outcomes
 * succeed, released ones become batch item failures (after their visibility is set) and so do
 * backend faults, so SQS delivers them again. Shortly before the deadline, stages still running
 * are interrupted and give their messages back un-retried.
 */
export function createStageHandler(
  deps: StageHandlerDeps,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (
    record: SQSRecord,
    outbox: SendBarrier,
    publishing: Map<string, Promise<boolean>>,
  ): Promise<void> => {
    const queue = queueNameFromArn(record.eventSourceARN);
    try {
      const disposition = await deps.runner.handle(messageOf(record), { queue, outbox });
      deps.onOutcome?.(disposition.outcome);
      if (disposition.published !== undefined) publishing.set(record.messageId, disposition.published);
      if (disposition.action === 'release') {
        await deps.queue.changeVisibility(queue, record.receiptHandle, disposition.delayMs);
        throw new ReleasedError(disposition.outcome);
      }
    } finally {
      outbox.settled();
    }
  };

  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const recycle = (when: string): never => {
    deps.logger.error('a stage ignored its AbortSignal and still runs; ending this function instance', {
      when,
      zombies: deps.runner.zombies,
    });
    exit(1);
    // Where exit returns (tests), the invocation fails: its whole batch comes back.
    throw new Error('this function instance still runs a stage that ignored its AbortSignal');
  };

  return async (event, context) => {
    // A thawed instance whose stage outlived its invocation must not take new work beside it.
    if (deps.runner.zombies > 0) recycle('before a batch');
    const outbox = new SendBarrier(deps.queue, event.Records.length);
    const publishing = new Map<string, Promise<boolean>>();
    const deadline = setTimeout(
      () => deps.runner.interrupt('The Lambda function is about to time out.'),
      Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
    );
    let response: SQSBatchResponse;
    try {
      response = await processPartialResponse(
        event,
        (record: SQSRecord) => handleRecord(record, outbox, publishing),
        processor,
        {
          context,
          throwOnFullBatchFailure: false,
        },
      );
    } finally {
      clearTimeout(deadline);
      await deps.events
        .flush()
        .catch((error: unknown) => deps.logger.warn('flushing events failed', { error }));
    }
    // A message whose events did not reach the bus is not deleted: its redelivery finds its step
    // done and publishes them again.
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const [messageId, published] of publishing) {
      if (!failed.has(messageId) && !(await published)) {
        response.batchItemFailures.push({ itemIdentifier: messageId });
        failed.add(messageId);
      }
    }
    // Stages that ignored their signal have given their messages back but still run: wait for them
    // while the invocation lasts. If they outlive it, the instance ends now — frozen and thawed
    // later, it would run them beside the worker that took the stage over. The failed invocation
    // brings the whole batch back; the records already done are then deleted as duplicates.
    if (deps.runner.zombies > 0) {
      const waitMs = Math.max(0, context.getRemainingTimeInMillis() - ZOMBIE_MARGIN_MS);
      const stop = new AbortController();
      await Promise.race([deps.runner.settled(), sleep(waitMs, stop.signal).catch(() => undefined)]);
      stop.abort();
      if (deps.runner.zombies > 0) recycle('at the deadline');
    }
    return response;
  };
}
