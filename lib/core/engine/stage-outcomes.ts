import { type JobEnvelope, serializeEnvelope } from '../ports/contract.js';
import {
  CancelledError,
  isRetryable,
  RetryableError,
  type SerializedError,
  serializeError,
} from '../ports/errors.js';
import type { JobChange, JobRecord, JobStatus, MarkEntry, RunEntry } from '../ports/job.js';
import type { ReceivedMessage } from '../ports/job-queue.js';
import { MAX_DELAY_MS } from '../ports/job-queue.js';
import type { Logger } from '../ports/logger.js';
import { nextStage } from '../sdk/pipeline.js';
import { backoffDelay } from '../sdk/retry.js';
import { markEvent } from './history.js';
import {
  type Disposition,
  DUE_SLACK_MS,
  deadLetterAttributes,
  delete_,
  type Execution,
  iso,
  type MessageSource,
  type RunnerKit,
  release,
  withoutNotBefore,
} from './runner-kit.js';

/**
 * How a stage attempt ends: completed (append-before-forward: the one write that stores the new
 * state and the attempt, then the send), retried with backoff, failed for good (dead-lettered when
 * retries ran out), given back at shutdown, or settled as aborted or paused. Each is one
 * conditional write of the job record: on the claim this attempt holds, or — for a stage that
 * ended before it was claimed — on the job still waiting at the message's hop.
 */
export class StageOutcomes {
  readonly #k: RunnerKit;

  constructor(kit: RunnerKit) {
    this.#k = kit;
  }

  async complete(x: Execution, outputs: Record<string, unknown>): Promise<Disposition> {
    const k = this.#k;
    const { env, log } = x;
    const now = k.clock.now();
    const params = { ...env.params, ...outputs };
    const next = nextStage(k.pipeline, env.stage, env.exit_stage);
    const run = k.endedRun(x, 'completed');
    let body: string | undefined;
    let change: JobChange;
    if (next !== undefined) {
      const forward: JobEnvelope = {
        ...withoutNotBefore(env),
        stage: next.name,
        hop: env.hop + 1,
        stage_hop: env.hop + 1,
        retry_count: 0,
        params,
      };
      try {
        body = serializeEnvelope(forward, k.pipeline.contractLimitBytes);
      } catch (error) {
        return this.stageError(x, error);
      }
      change = {
        expect: k.expectation(x, true),
        set: {
          status: 'QUEUED',
          stage: next.name,
          hop: env.hop + 1,
          stage_hop: env.hop + 1,
          retry_count: 0,
          params,
          updated_at: iso(now),
        },
        unset: ['lease', 'progress', 'error', 'retry_at'],
        ...k.withRun(x, run),
      };
    } else {
      change = {
        expect: k.expectation(x, false),
        set: {
          status: 'DONE',
          params,
          updated_at: iso(now),
          finished_at: iso(now),
          expires_at: k.expiry(now),
        },
        unset: ['lease', 'progress', 'error', 'pause_requested', 'abort_requested', 'retry_at'],
        ...k.withRun(x, run),
      };
    }
    const result = await k.store.transition(env.tenant_id, env.job_id, change);
    if (!result.ok) return this.#completionRefused(x, result.current, change, run, next?.name);
    k.publish(result.job, k.runEvents(result.job, run), log, x.source);
    if (next === undefined || body === undefined) return delete_('done');
    await k.send(x.source, k.queueOf(next.name, env.priority), [{ body, group: env.tenant_id }]);
    return delete_('forwarded');
  }

  /**
   * The completion's write was refused: the job changed under this attempt. An abort wins; a pause
   * keeps the stage's work and parks the job before its next stage; anything else means another
   * delivery owns the job's progress now, and this copy's result is dropped.
   */
  async #completionRefused(
    x: Execution,
    job: JobRecord | undefined,
    change: JobChange,
    run: RunEntry,
    nextName: string | undefined,
  ): Promise<Disposition> {
    const k = this.#k;
    const { env, log } = x;
    if (job === undefined || job.hop !== env.hop || job.stage !== env.stage) return delete_('duplicate');
    const mine = k.holdsLease(job, env);
    const aborted = job.status === 'ABORTED' || (mine && job.abort_requested !== undefined);
    if (aborted) {
      if (!mine) return delete_('skipped');
      return (
        (await this.settleControl(
          env,
          job,
          'aborted',
          k.withRun(x, { ...run, outcome: 'aborted' }),
          log,
          x.source,
        )) ?? delete_('duplicate')
      );
    }
    const paused =
      (mine && job.pause_requested === true) || (x.claim === undefined && job.status === 'PAUSED');
    if (!paused || nextName === undefined)
      return delete_(job.status === 'RUNNING' && !mine ? 'busy' : 'duplicate');
    // Paused while finishing: keep the stage's work and park the job before its next stage.
    const now = k.clock.now();
    const mark: MarkEntry = {
      kind: 'mark',
      type: 'job.paused',
      stage: nextName,
      hop: env.hop + 1,
      status: 'PAUSED',
      at: now,
      data: { before_stage: nextName },
    };
    const parked = await k.store.transition(env.tenant_id, env.job_id, {
      expect: { version: job.version },
      set: { ...change.set, status: 'PAUSED' },
      unset: [...(change.unset ?? []), 'pause_requested'],
      ...k.withRun(x, run),
      append: [...(x.claim === undefined ? [run] : []), mark],
    });
    if (!parked.ok) return delete_('duplicate');
    k.publish(parked.job, [...k.runEvents(parked.job, run), markEvent(parked.job, mark)], log, x.source);
    return delete_('paused');
  }

  async stageError(x: Execution, error: unknown): Promise<Disposition> {
    const k = this.#k;
    const { env, log } = x;
    if (error instanceof CancelledError) {
      switch (error.reason) {
        case 'lease-lost':
          log.warn('lost the lease while running; the stage is another delivery’s now');
          return delete_('lease-lost');
        case 'shutdown':
          return this.interrupt(x);
        case 'aborted':
        case 'paused': {
          // Only the execution that claimed the stage settles the request. Another copy of the
          // same message in this very process (same worker id, so the lease looks like its own)
          // was stopped because the job is running under that claim: it is a duplicate.
          if (x.claim === undefined) return delete_('duplicate');
          const job = await k.store.getJob(env.tenant_id, env.job_id);
          if (job === undefined || !k.holdsLease(job, env)) return delete_('duplicate');
          const run = k.endedRun(x, error.reason, error.toJSON());
          return (
            (await this.settleControl(env, job, error.reason, k.withRun(x, run), log, x.source)) ??
            delete_('duplicate')
          );
        }
      }
    }
    const serialized = serializeError(error);
    const retryable = isRetryable(error);
    log.warn('stage attempt failed', { error, retryable, code: serialized.code });
    if (!retryable || x.retryCount >= k.stage.retry.maxRetries) return this.fail(x, serialized);

    const now = k.clock.now();
    const delay =
      error instanceof RetryableError && error.delayMs !== undefined
        ? Math.max(0, error.delayMs)
        : backoffDelay(k.stage.retry.backoff, x.retryCount + 1, k.options.random);
    const retryAt = iso(now + delay);
    const retry: JobEnvelope = {
      ...withoutNotBefore(env),
      hop: env.hop + 1,
      stage_hop: env.stage_hop ?? env.hop,
      retry_count: x.retryCount + 1,
      ...(delay > MAX_DELAY_MS ? { not_before: retryAt } : {}),
    };
    const body = serializeEnvelope(retry, k.pipeline.contractLimitBytes);
    const run = k.endedRun(x, 'retrying', serialized, delay);
    const result = await k.store.transition(env.tenant_id, env.job_id, {
      expect: k.expectation(x, true),
      set: {
        status: 'RETRY_WAITING',
        hop: env.hop + 1,
        retry_count: x.retryCount + 1,
        retry_at: retryAt,
        error: { ...(run.error ?? serialized), stage: env.stage, attempt: run.attempt },
        updated_at: iso(now),
      },
      unset: ['lease', 'progress'],
      ...k.withRun(x, run),
    });
    if (!result.ok) return this.#afterRefusedFailure(x, result.current, run);
    k.publish(result.job, k.runEvents(result.job, run), log, x.source);
    await k.send(x.source, k.queueOf(env.stage, env.priority), [
      { body, delayMs: Math.min(delay, MAX_DELAY_MS), group: env.tenant_id },
    ]);
    return delete_('retry-scheduled');
  }

  /** The job fails for good; when retries ran out, the message also goes to the stage's DLQ. */
  async fail(x: Execution, error: SerializedError): Promise<Disposition> {
    const k = this.#k;
    const run = k.endedRun(x, 'failed', error);
    const result = await k.store.transition(x.env.tenant_id, x.env.job_id, {
      expect: k.expectation(x, false),
      ...this.#failedChange(x.env, run),
      ...k.withRun(x, run),
    });
    if (!result.ok) return this.#afterRefusedFailure(x, result.current, run);
    return this.#failed(x.message, x.source, result.job, run, x.log);
  }

  /** A takeover found the crashed attempt was the last one the retry policy allows. */
  async failTakenOver(
    env: JobEnvelope,
    message: ReceivedMessage,
    source: MessageSource,
    job: JobRecord,
    crashed: RunEntry,
    history: Pick<JobChange, 'append' | 'replace'>,
    log: Logger,
  ): Promise<Disposition> {
    const result = await this.#k.store.transition(env.tenant_id, env.job_id, {
      expect: { version: job.version },
      ...this.#failedChange(env, crashed),
      ...history,
    });
    if (!result.ok) return release(DUE_SLACK_MS, 'busy');
    return this.#failed(message, source, result.job, crashed, log);
  }

  #failedChange(env: JobEnvelope, run: RunEntry): Pick<JobChange, 'set' | 'unset'> {
    const k = this.#k;
    const now = k.clock.now();
    const error = run.error ?? {
      name: 'Error',
      code: 'UNKNOWN',
      message: 'unknown failure',
      retryable: false,
    };
    return {
      set: {
        status: 'FAILED',
        error: {
          ...error,
          stage: env.stage,
          attempt: run.attempt,
          ...(error.retryable ? { dead_lettered: true } : {}),
        },
        updated_at: iso(now),
        finished_at: iso(now),
        expires_at: k.expiry(now),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested', 'retry_at'],
    };
  }

  async #failed(
    message: ReceivedMessage,
    source: MessageSource,
    job: JobRecord,
    run: RunEntry,
    log: Logger,
  ): Promise<Disposition> {
    const k = this.#k;
    k.publish(job, k.runEvents(job, run), log, source);
    const error = run.error;
    if (error?.retryable === true) {
      const reason = `Retries exhausted after ${run.attempt} attempt${run.attempt > 1 ? 's' : ''}: ${error.message}`;
      await k.send(source, k.dlq, [
        { body: message.body, attributes: deadLetterAttributes(error.code, reason, source.queue, message) },
      ]);
    }
    log.error('job failed', {
      code: error?.code,
      error_message: error?.message,
      exhausted: error?.retryable,
    });
    return delete_('failed');
  }

  /**
   * Shutdown: give the stage back untouched so the next worker runs it without using a retry. A
   * claimed stage writes its claim back to QUEUED; an unclaimed one changed nothing to undo.
   */
  async interrupt(x: Execution): Promise<Disposition> {
    const k = this.#k;
    if (x.claim !== undefined) {
      await k.store.transition(x.env.tenant_id, x.env.job_id, {
        expect: k.expectation(x, false),
        set: { status: 'QUEUED', updated_at: k.iso() },
        unset: ['lease', 'progress'],
        ...k.withRun(x, k.endedRun(x, 'interrupted')),
      });
    }
    return release(0, 'interrupted');
  }

  /** A failure's write was refused: honour a control request, or step aside. */
  async #afterRefusedFailure(x: Execution, job: JobRecord | undefined, run: RunEntry): Promise<Disposition> {
    const k = this.#k;
    if (job === undefined || job.hop !== x.env.hop) return delete_('duplicate');
    if (!k.holdsLease(job, x.env)) {
      if (job.status === 'ABORTED') return delete_('skipped');
      if (job.status === 'PAUSED' || job.status === 'HELD') return delete_('parked');
      return delete_(job.status === 'RUNNING' ? 'busy' : 'duplicate');
    }
    const reason = job.abort_requested !== undefined ? 'aborted' : job.pause_requested ? 'paused' : undefined;
    if (reason === undefined) return release(DUE_SLACK_MS, 'busy');
    return (
      (await this.settleControl(
        x.env,
        job,
        reason,
        k.withRun(x, { ...run, outcome: reason }),
        x.log,
        x.source,
      )) ?? delete_('duplicate')
    );
  }

  /** Ends a running stage as ABORTED or PAUSED (the job re-runs the stage on resume). */
  async settleControl(
    env: JobEnvelope,
    job: JobRecord,
    reason: 'aborted' | 'paused',
    history: Pick<JobChange, 'append' | 'replace'>,
    log: Logger,
    source?: MessageSource,
  ): Promise<Disposition | undefined> {
    const k = this.#k;
    const now = k.clock.now();
    const status: JobStatus = reason === 'aborted' ? 'ABORTED' : 'PAUSED';
    const abortReason = job.abort_requested ?? 'aborted';
    // The run entry's outcome carries the event (job.aborted / job.paused); an abort also keeps its reason.
    const entry = history.replace?.entry ?? history.append?.at(-1);
    const ended: RunEntry | undefined =
      entry?.kind === 'run'
        ? {
            ...entry,
            outcome: reason,
            ...(reason === 'aborted'
              ? {
                  error: {
                    name: 'CancelledError',
                    code: 'CANCELLED',
                    message: abortReason,
                    retryable: false,
                  },
                }
              : {}),
          }
        : undefined;
    const change: Pick<JobChange, 'append' | 'replace'> =
      ended === undefined
        ? history
        : history.replace !== undefined
          ? { replace: { index: history.replace.index, entry: ended } }
          : { append: [...(history.append ?? []).slice(0, -1), ended] };
    const result = await k.store.transition(env.tenant_id, env.job_id, {
      expect: { version: job.version },
      set: {
        status,
        updated_at: iso(now),
        ...(reason === 'aborted' ? { finished_at: iso(now), expires_at: k.expiry(now) } : {}),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested'],
      ...change,
    });
    if (!result.ok) return undefined;
    if (ended !== undefined) k.publish(result.job, k.runEvents(result.job, ended), log, source);
    log.info(`job ${reason}`, { during_stage: env.stage });
    return delete_(reason);
  }
}
