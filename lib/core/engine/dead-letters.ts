import type { Backend } from '../ports/backend.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { peekHop, peekJobId, peekTenantId } from '../ports/contract.js';
import { type DeadLetterRecord, isTerminal, type JobRecord, type MarkEntry } from '../ports/job.js';
import type { ReceivedMessage } from '../ports/job-queue.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { markEvent } from './history.js';
import type { Topology } from './topology.js';

/** Code of a message the queue itself moved to the DLQ after maxReceiveCount receives. */
export const RECEIVE_LIMIT = 'RECEIVE_LIMIT';

export interface DeadLetterOptions {
  readonly backend: Pick<Backend, 'store' | 'events'>;
  readonly topology: Topology;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How long a job failed here is kept (store TTL). @default 90 days */
  readonly retentionS?: number;
}

/**
 * Consumes a dead-letter queue. Every message is recorded with its reason (for inspection and
 * replay). A message the queue redrove after too many receives means its stage kept crashing or
 * timing out: its job, if still at that message's hop and not being run by a live worker, is
 * marked FAILED (dead_lettered) with a `job.failed` event. Messages the runner dead-lettered itself
 * (malformed, misrouted, retries exhausted) are only recorded: the runner already settled the job.
 */
export class DeadLetterHandler {
  readonly #o: DeadLetterOptions;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: DeadLetterOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'dead-letters' });
  }

  async handle(message: ReceivedMessage, dlq: string): Promise<DeadLetterRecord> {
    const queues = this.#o.topology.byQueue(dlq);
    const code = message.attributes.dead_letter_code ?? RECEIVE_LIMIT;
    const reason =
      message.attributes.dead_letter_reason ??
      `The message was received ${Math.max(message.receiveCount - 1, 0) || 'too many'} times without completing: its stage crashed, timed out or was killed repeatedly.`;
    const jobId = peekJobId(message.body);
    const tenantId = peekTenantId(message.body);
    const job =
      jobId === undefined || tenantId === undefined
        ? undefined
        : await this.#o.backend.store.getJob(tenantId, jobId);
    const record: DeadLetterRecord = {
      dead_letter_id: message.attributes.original_message_id ?? message.messageId,
      queue: message.attributes.source_queue ?? dlq,
      code,
      reason,
      body: message.body,
      received_at: new Date(this.#clock.now()).toISOString(),
      ...(queues === undefined ? {} : { pipeline: queues.pipeline, stage: queues.stage }),
      ...(jobId === undefined ? {} : { job_id: jobId }),
      ...(tenantId === undefined ? {} : { tenant_id: tenantId }),
    };
    await this.#o.backend.store.recordDeadLetter(record);
    this.#log.warn('message dead-lettered', { code, reason, job_id: jobId, queue: record.queue });
    if (code === RECEIVE_LIMIT && job !== undefined && this.#shouldFail(job, peekHop(message.body))) {
      await this.#fail(job, code, reason);
    }
    return record;
  }

  #shouldFail(job: JobRecord, hop: number | undefined): boolean {
    if (isTerminal(job.status) || (hop !== undefined && hop !== job.hop)) return false;
    // A live lease means a worker is running the stage right now; the redriven copy was a duplicate.
    return !(job.status === 'RUNNING' && (job.lease?.expires_at ?? 0) > this.#clock.now());
  }

  async #fail(job: JobRecord, code: string, reason: string): Promise<void> {
    const now = this.#clock.now();
    const error = { name: 'DeadLetteredError', code, message: reason, retryable: false };
    const mark: MarkEntry = {
      kind: 'mark',
      type: 'job.failed',
      stage: job.stage,
      hop: job.hop,
      status: 'FAILED',
      at: now,
      data: { error, dead_lettered: true },
    };
    const result = await this.#o.backend.store.transition(job.tenant_id, job.job_id, {
      expect: { version: job.version },
      set: {
        status: 'FAILED',
        error: { ...error, stage: job.stage, dead_lettered: true },
        updated_at: new Date(now).toISOString(),
        finished_at: new Date(now).toISOString(),
        expires_at: Math.floor(now / 1000) + (this.#o.retentionS ?? 90 * 86_400),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested', 'retry_at'],
      append: [mark],
    });
    if (result.ok) await this.#o.backend.events.publish([markEvent(result.job, mark)]);
  }
}
