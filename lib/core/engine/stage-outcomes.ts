import { type JobEnvelope, serializeEnvelope } from '../ports/contract.js';
import {
  CancelledError,
  isRetryable,
  RetryableError,
  type SerializedError,
  serializeError,
} from '../ports/errors.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  JobChange,
  JobEvent,
  JobRecord,
  JobStatus,
} from '../ports/job.js';
import { MAX_DELAY_MS } from '../ports/job-queue.js';
import type { Logger } from '../ports/logger.js';
import { nextStage } from '../sdk/pipeline.js';
import { backoffDelay } from '../sdk/retry.js';
import {
  type Attempt,
  type Disposition,
  DUE_SLACK_MS,
  deadLetterAttributes,
  delete_,
  iso,
  type RunnerKit,
  release,
  withoutNotBefore,
} from './runner-kit.js';

/**
 * How a stage attempt ends: completed (append-before-forward), retried with backoff, failed for
 * good (dead-lettered when retries ran out), interrupted by shutdown, or settled as aborted/paused.
 */
export class StageOutcomes {
  readonly #k: RunnerKit;

  constructor(kit: RunnerKit) {
    this.#k = kit;
  }

  /** Append-before-forward: the completed state and event are stored before the next send. */
  async complete(a: Attempt, outputs: Record<string, unknown>): Promise<Disposition> {
    const { env, log } = a;
    const now = this.#k.clock.now();
    const attempt = a.retryCount + 1;
    const params = { ...env.params, ...outputs };
    const next = nextStage(this.#k.pipeline, env.stage, env.exit_stage);
    const record = this.#k.attempt(env, attempt, a.startedAt, 'completed');
    const data = { outputs: Object.keys(outputs), duration_ms: now - a.startedAt };
    let body: string | undefined;
    let change: JobChange;
    let events: JobEvent[];
    if (next !== undefined) {
      const forward: JobEnvelope = {
        ...withoutNotBefore(env),
        stage: next.name,
        hop: env.hop + 1,
        retry_count: 0,
        params,
      };
      try {
        body = serializeEnvelope(forward, this.#k.pipeline.contractLimitBytes);
      } catch (error) {
        return this.stageError(a, error);
      }
      events = [
        this.#k.event('stage.completed', env, 'QUEUED', env.hop, attempt, { ...data, next_stage: next.name }),
      ];
      change = {
        expect: this.#k.mine(env, true),
        set: {
          status: 'QUEUED',
          stage: next.name,
          hop: env.hop + 1,
          retry_count: 0,
          params,
          updated_at: iso(now),
        },
        unset: ['lease', 'progress', 'error'],
        events,
        attempt: record,
      };
    } else {
      events = [
        this.#k.event('stage.completed', env, 'DONE', env.hop, attempt, data),
        this.#k.event('job.done', env, 'DONE', env.hop, attempt, { output_keys: Object.keys(params) }),
      ];
      change = {
        expect: this.#k.mine(env, false),
        set: {
          status: 'DONE',
          params,
          updated_at: iso(now),
          finished_at: iso(now),
          expires_at: this.#k.expiry(now),
        },
        unset: ['lease', 'progress', 'error', 'pause_requested'],
        events,
        attempt: record,
      };
    }
    const result = await this.#k.o.backend.store.transition(env.job_id, change);
    if (!result.ok) {
      const job = result.current;
      const reason =
        job?.abort_requested !== undefined ? 'aborted' : job?.pause_requested ? 'paused' : undefined;
      if (job === undefined || reason === undefined || !this.#k.holdsLease(job, env))
        return delete_('duplicate');
      if (reason === 'aborted') {
        return (await this.settleControl(env, job, 'aborted', record, log)) ?? delete_('duplicate');
      }
      // Paused while finishing: keep the stage's work and park the job before its next stage.
      const paused = this.#k.event('job.paused', env, 'PAUSED', env.hop + 1, undefined, {
        before_stage: next?.name,
      });
      const parked = await this.#k.o.backend.store.transition(env.job_id, {
        expect: { version: job.version },
        set: { ...change.set, status: 'PAUSED' },
        unset: [...(change.unset ?? []), 'pause_requested'],
        events: [...events, paused],
        attempt: record,
      });
      if (parked.ok) this.#k.publish([...events, paused], log);
      return delete_(parked.ok ? 'paused' : 'duplicate');
    }
    this.#k.publish(events, log);
    if (next === undefined || body === undefined) return delete_('done');
    await this.#k
      .outbox(a.source)
      .send(this.#k.o.topology.queueFor(env.pipeline, next.name, env.priority), [{ body }]);
    return delete_('forwarded');
  }

  async stageError(a: Attempt, error: unknown): Promise<Disposition> {
    const { env, log } = a;
    const attempt = a.retryCount + 1;
    if (error instanceof CancelledError) {
      switch (error.reason) {
        case 'lease-lost':
          log.warn('lost the lease while running; the new holder goes on');
          return delete_('duplicate');
        case 'shutdown':
          return this.interrupt(a);
        case 'aborted':
        case 'paused': {
          const outcome: AttemptOutcome = error.reason;
          const record = this.#k.attempt(env, attempt, a.startedAt, outcome, error.toJSON());
          const job = await this.#k.o.backend.store.getJob(env.job_id);
          if (job === undefined || !this.#k.holdsLease(job, env)) return delete_('duplicate');
          return (await this.settleControl(env, job, error.reason, record, log)) ?? delete_('duplicate');
        }
      }
    }
    const serialized = serializeError(error);
    const retryable = isRetryable(error);
    log.warn('stage attempt failed', { error, retryable, code: serialized.code });
    if (!retryable || a.retryCount >= this.#k.stage.retry.maxRetries) return this.fail(a, serialized);

    const now = this.#k.clock.now();
    const delay =
      error instanceof RetryableError && error.delayMs !== undefined
        ? Math.max(0, error.delayMs)
        : backoffDelay(this.#k.stage.retry.backoff, a.retryCount + 1, this.#k.o.random);
    const retryAt = iso(now + delay);
    const retry: JobEnvelope = {
      ...withoutNotBefore(env),
      hop: env.hop + 1,
      retry_count: a.retryCount + 1,
      ...(delay > MAX_DELAY_MS ? { not_before: retryAt } : {}),
    };
    const body = serializeEnvelope(retry, this.#k.pipeline.contractLimitBytes);
    const failed = this.#k.event('stage.failed', env, 'RETRY_WAITING', env.hop, attempt, {
      error: serialized,
      retryable: true,
      retry_in_ms: delay,
    });
    const result = await this.#k.o.backend.store.transition(env.job_id, {
      expect: this.#k.mine(env, true),
      set: {
        status: 'RETRY_WAITING',
        hop: env.hop + 1,
        retry_count: a.retryCount + 1,
        retry_at: retryAt,
        error: { ...serialized, stage: env.stage, attempt },
        updated_at: iso(now),
      },
      unset: ['lease', 'progress'],
      events: [failed],
      attempt: this.#k.attempt(env, attempt, a.startedAt, 'retrying', serialized),
    });
    if (!result.ok) return this.afterLostTransition(env, result.current, a, serialized);
    this.#k.publish([failed], log);
    await this.#k
      .outbox(a.source)
      .send(this.#k.o.topology.queueFor(env.pipeline, env.stage, env.priority), [
        { body, delayMs: Math.min(delay, MAX_DELAY_MS) },
      ]);
    return delete_('retry-scheduled');
  }

  /** The job fails for good; when retries ran out, the message also goes to the stage's DLQ. */
  async fail(
    a: Attempt,
    error: SerializedError,
    expect: JobChange['expect'] = this.#k.mine(a.env, false),
  ): Promise<Disposition> {
    const { env, log } = a;
    const now = this.#k.clock.now();
    const attempt = a.retryCount + 1;
    const exhausted = error.retryable;
    const events = [
      this.#k.event('stage.failed', env, 'FAILED', env.hop, attempt, {
        error,
        retryable: error.retryable,
        exhausted,
      }),
      this.#k.event('job.failed', env, 'FAILED', env.hop, attempt, {
        error,
        ...(exhausted ? { dead_lettered: true } : {}),
      }),
    ];
    const result = await this.#k.o.backend.store.transition(env.job_id, {
      expect,
      set: {
        status: 'FAILED',
        error: { ...error, stage: env.stage, attempt, ...(exhausted ? { dead_lettered: true } : {}) },
        updated_at: iso(now),
        finished_at: iso(now),
        expires_at: this.#k.expiry(now),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested'],
      events,
      attempt: this.#k.attempt(env, attempt, a.startedAt, 'failed', error),
    });
    if (!result.ok) return this.afterLostTransition(env, result.current, a, error);
    this.#k.publish(events, log);
    if (exhausted) {
      const reason = `Retries exhausted after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${error.message}`;
      await this.#k.outbox(a.source).send(this.#k.dlq, [
        {
          body: a.message.body,
          attributes: deadLetterAttributes(error.code, reason, a.source.queue, a.message),
        },
      ]);
    }
    log.error('job failed', { code: error.code, error_message: error.message, exhausted });
    return delete_('failed');
  }

  /** Shutdown: give the stage back untouched so the next worker runs it without using a retry. */
  async interrupt(a: Attempt): Promise<Disposition> {
    const { env } = a;
    await this.#k.o.backend.store.transition(env.job_id, {
      expect: this.#k.mine(env, false),
      set: { status: 'QUEUED', updated_at: this.#k.iso() },
      unset: ['lease', 'progress'],
      attempt: this.#k.attempt(env, a.retryCount + 1, a.startedAt, 'interrupted'),
    });
    return release(0, 'interrupted');
  }

  /** A transition expecting our lease failed: honour a control request, or step aside. */
  async afterLostTransition(
    env: JobEnvelope,
    job: JobRecord | undefined,
    a: Attempt,
    error: SerializedError,
  ): Promise<Disposition> {
    if (job === undefined || !this.#k.holdsLease(job, env)) return delete_('duplicate');
    const reason = job.abort_requested !== undefined ? 'aborted' : job.pause_requested ? 'paused' : undefined;
    if (reason === undefined) return release(DUE_SLACK_MS, 'busy');
    const record = this.#k.attempt(env, a.retryCount + 1, a.startedAt, 'failed', error);
    return (await this.settleControl(env, job, reason, record, a.log)) ?? delete_('duplicate');
  }

  /** Ends a running stage as ABORTED or PAUSED (the job re-runs the stage on resume). */
  async settleControl(
    env: JobEnvelope,
    job: JobRecord,
    reason: 'aborted' | 'paused',
    record: AttemptRecord,
    log: Logger,
  ): Promise<Disposition | undefined> {
    const now = this.#k.clock.now();
    const status: JobStatus = reason === 'aborted' ? 'ABORTED' : 'PAUSED';
    const event =
      reason === 'aborted'
        ? this.#k.event('job.aborted', env, status, job.hop, record.attempt, {
            reason: job.abort_requested ?? 'aborted',
          })
        : this.#k.event('job.paused', env, status, job.hop, record.attempt, { during_stage: env.stage });
    const result = await this.#k.o.backend.store.transition(env.job_id, {
      expect: { version: job.version },
      set: {
        status,
        updated_at: iso(now),
        ...(reason === 'aborted' ? { finished_at: iso(now), expires_at: this.#k.expiry(now) } : {}),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested'],
      events: [event],
      attempt: record,
    });
    if (!result.ok) return undefined;
    this.#k.publish([event], log);
    log.info(`job ${reason}`, { during_stage: env.stage });
    return delete_(reason);
  }
}
