import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from './clock.js';
import { type JobEnvelope, safeParseEnvelope, serializeEnvelope } from './contract.js';
import {
  CancelledError,
  ContractError,
  isRetryable,
  RetryableError,
  type SerializedError,
  type StagecoachError,
  StageTimeoutError,
  serializeError,
} from './errors.js';
import { EventFactory } from './events.js';
import type { HoldCache } from './holds.js';
import {
  type AttemptOutcome,
  type AttemptRecord,
  envelopeOf,
  type Hold,
  type JobChange,
  type JobEvent,
  type JobRecord,
  type JobStatus,
} from './job.js';
import { type ControlReason, HeartbeatScheduler, LeaseKeeper } from './lease.js';
import { type Logger, silentLogger } from './logger.js';
import { nextStage, type Pipeline, type Topology } from './pipeline.js';
import { type Backend, type JobQueue, MAX_DELAY_MS, type ReceivedMessage } from './ports.js';
import { ProgressThrottle } from './progress.js';
import { backoffDelay } from './retry.js';
import { type JobIdentity, type Stage, type StageContext, validateInputs, verifyOutputs } from './stage.js';

export interface RunnerOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events' | 'blobs'>;
  readonly topology: Topology;
  /** Identifies this worker in leases and attempts. */
  readonly workerId: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly holds?: HoldCache;
  /** Source of randomness for backoff jitter, in [0, 1). */
  readonly random?: () => number;
  /** Minimum spacing of live progress events per job. @default 250 */
  readonly progressIntervalMs?: number;
  /** How long process() may take to honour its AbortSignal before the runner stops waiting. @default 2000 */
  readonly cancelGraceMs?: number;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
}

/** What the shell must do with the message once the runner is done with it. */
export type Disposition =
  | { readonly action: 'delete'; readonly outcome: Outcome }
  | { readonly action: 'release'; readonly delayMs: number; readonly outcome: Outcome };

export type Outcome =
  | 'forwarded'
  | 'done'
  | 'retry-scheduled'
  | 'failed'
  | 'dead-lettered'
  | 'duplicate'
  | 'healed'
  | 'skipped'
  | 'parked'
  | 'held'
  | 'aborted'
  | 'paused'
  | 'deferred'
  | 'busy'
  | 'interrupted';

export interface MessageSource {
  readonly queue: string;
  /**
   * Where this message's sends go (forward, retry, dead letter). A shell may pass a batching
   * outbox — the Lambda handler sends a whole invocation's forwards in one batch. @default the queue
   */
  readonly outbox?: Pick<JobQueue, 'send'>;
}

/** A not_before within this margin counts as due (clocks and queue delays are not exact). */
const DUE_SLACK_MS = 1_000;

interface Attempt {
  readonly env: JobEnvelope;
  readonly message: ReceivedMessage;
  readonly source: MessageSource;
  readonly retryCount: number;
  readonly startedAt: number;
  readonly log: Logger;
}

const delete_ = (outcome: Outcome): Disposition => ({ action: 'delete', outcome });
const release = (delayMs: number, outcome: Outcome): Disposition => ({ action: 'release', delayMs, outcome });

/**
 * Processes one message of one stage: at-least-once delivery in, exactly-once stage effects out
 * (DESIGN §5). Never throws for a bad message (it is dead-lettered with its reason); throws only
 * when the backend fails, in which case the shell leaves the message to be delivered again.
 */
export class StageRunner {
  readonly #pipeline: Pipeline;
  readonly #stage: Stage;
  readonly #o: RunnerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventFactory;
  readonly #dlq: string;
  readonly #heartbeats: HeartbeatScheduler;
  /** Cancellers of the stages running now, for interrupt(). */
  readonly #running = new Set<(reason: unknown) => void>();

  constructor(pipeline: Pipeline, stage: Stage, options: RunnerOptions) {
    this.#pipeline = pipeline;
    this.#stage = stage;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ pipeline: pipeline.name, stage: stage.name });
    this.#events = new EventFactory(this.#clock);
    this.#dlq = options.topology.stageQueues(pipeline.name, stage.name).dlq;
    this.#heartbeats = new HeartbeatScheduler(Math.min(250, Math.max(10, Math.floor(stage.heartbeatMs / 4))));
  }

  get stage(): Stage {
    return this.#stage;
  }

  /** How many stages this runner is running now. */
  get inFlight(): number {
    return this.#running.size;
  }

  /**
   * Cancels every running stage because the worker is going away (shutdown, or a Lambda about to
   * run out of time): each gives its message back, un-retried, for another worker to run.
   */
  interrupt(message = 'The worker is shutting down.'): void {
    for (const cancel of [...this.#running]) cancel(new CancelledError('shutdown', message));
  }

  async handle(message: ReceivedMessage, source: MessageSource): Promise<Disposition> {
    const parsed = safeParseEnvelope(message.body, this.#pipeline.contractLimitBytes);
    if (!parsed.success) return this.#deadLetter(message, source, parsed.error);
    const env = parsed.envelope;
    if (env.pipeline !== this.#pipeline.name || env.stage !== this.#stage.name) {
      return this.#deadLetter(
        message,
        source,
        new ContractError(
          `The message is for '${env.pipeline}/${env.stage}' but arrived on '${source.queue}', the queue of '${this.#pipeline.name}/${this.#stage.name}'. Submit jobs through the JobService so they follow the pipeline's topology.`,
          { code: 'MISROUTED' },
        ),
      );
    }
    const log = this.#log.child({
      job_id: env.job_id,
      hop: env.hop,
      attempt: env.retry_count + 1,
      trace_id: env.trace_id,
    });
    const now = this.#clock.now();
    if (env.not_before !== undefined) {
      const wait = Date.parse(env.not_before) - now;
      if (wait > DUE_SLACK_MS) {
        await this.#outbox(source).send(source.queue, [
          { body: message.body, delayMs: Math.min(wait, MAX_DELAY_MS) },
        ]);
        return delete_('deferred');
      }
    }
    const hold = await this.#o.holds?.match(env.tenant_id, env.tags);
    if (hold !== undefined && (await this.#hold(env, hold, log))) return delete_('held');

    const started = this.#event('stage.started', env, 'RUNNING', env.hop, env.retry_count + 1);
    const claim = await this.#o.backend.store.transition(env.job_id, {
      expect: { status: ['QUEUED', 'RETRY_WAITING'], hop: env.hop, stage: env.stage },
      set: {
        status: 'RUNNING',
        retry_count: env.retry_count,
        lease: { owner: this.#o.workerId, expires_at: now + this.#stage.visibilityTimeoutMs },
        updated_at: new Date(now).toISOString(),
      },
      unset: ['retry_at', 'progress', 'held_by'],
      events: [started],
    });
    if (!claim.ok) return this.#onClaimRejected(env, message, source, claim.current, log);
    this.#publish([started], log);
    return this.#execute({ env, message, source, retryCount: env.retry_count, startedAt: now, log });
  }

  // -------------------------------------------------------------------------------------------
  // Claim rejected: duplicate, stale, parked, busy, or a crashed attempt to take over.
  // -------------------------------------------------------------------------------------------

  async #onClaimRejected(
    env: JobEnvelope,
    message: ReceivedMessage,
    source: MessageSource,
    job: JobRecord | undefined,
    log: Logger,
  ): Promise<Disposition> {
    if (job === undefined) {
      return this.#deadLetter(
        message,
        source,
        new ContractError(
          `Job '${env.job_id}' does not exist in the job store (never created, or expired). Submit jobs through the JobService.`,
          { code: 'JOB_NOT_FOUND' },
        ),
      );
    }
    if (job.hop > env.hop) return this.#healForward(env, job, source, log);
    if (job.hop < env.hop || job.stage !== env.stage) {
      return this.#deadLetter(
        message,
        source,
        new ContractError(
          `The message (hop ${env.hop}, stage '${env.stage}') does not match the job's state (hop ${job.hop}, stage '${job.stage}'); it was not sent by Stagecoach.`,
          { code: 'STATE_MISMATCH' },
        ),
      );
    }
    switch (job.status) {
      case 'ABORTED': {
        const skipped = this.#event('stage.skipped', env, 'ABORTED', job.hop, undefined, {
          reason: 'job aborted',
        });
        const result = await this.#o.backend.store.transition(env.job_id, {
          expect: { version: job.version },
          set: { updated_at: this.#iso() },
          events: [skipped],
        });
        if (result.ok) this.#publish([skipped], log);
        return delete_('skipped');
      }
      case 'DONE':
      case 'FAILED':
        return delete_('duplicate');
      case 'PAUSED':
      case 'HELD':
        return delete_('parked');
      case 'RUNNING': {
        const leaseLeft = (job.lease?.expires_at ?? 0) - this.#clock.now();
        if (leaseLeft > 0) return release(leaseLeft + DUE_SLACK_MS, 'busy');
        return this.#takeOver(env, message, source, job, log);
      }
      case 'QUEUED':
      case 'RETRY_WAITING':
        // Lost a race with another delivery that changed the job in between: look again soon.
        return release(DUE_SLACK_MS, 'busy');
    }
  }

  /**
   * The message is behind the job: a duplicate. If the job is waiting for exactly the send this
   * message's processing should have made, that send may have been lost in a crash after the state
   * write; send it again (the claim makes any extra copy harmless).
   */
  async #healForward(
    env: JobEnvelope,
    job: JobRecord,
    source: MessageSource,
    log: Logger,
  ): Promise<Disposition> {
    if (job.hop !== env.hop + 1 || (job.status !== 'QUEUED' && job.status !== 'RETRY_WAITING')) {
      return delete_('duplicate');
    }
    const due = job.retry_at === undefined ? 0 : Math.max(0, Date.parse(job.retry_at) - this.#clock.now());
    const queue = this.#o.topology.queueFor(job.pipeline, job.stage, job.priority);
    await this.#outbox(source).send(queue, [
      {
        body: serializeEnvelope(envelopeOf(job), this.#pipeline.contractLimitBytes),
        delayMs: Math.min(due, MAX_DELAY_MS),
      },
    ]);
    log.info('re-sent a forward that may have been lost', { to_stage: job.stage, to_hop: job.hop });
    return delete_('healed');
  }

  /** A previous delivery's worker stopped renewing its lease: it crashed, timed out or was killed. */
  async #takeOver(
    env: JobEnvelope,
    message: ReceivedMessage,
    source: MessageSource,
    job: JobRecord,
    log: Logger,
  ): Promise<Disposition> {
    const now = this.#clock.now();
    const lost: SerializedError = {
      name: 'StageCrashedError',
      code: 'STAGE_CRASHED',
      message: `Attempt ${job.retry_count + 1} of stage '${env.stage}' stopped renewing its lease (worker ${job.lease?.owner ?? 'unknown'} crashed, timed out or was killed).`,
      retryable: true,
    };
    const crashed = this.#attempt(env, job.retry_count + 1, Date.parse(job.updated_at), 'crashed', lost);
    if (job.abort_requested !== undefined || job.pause_requested === true) {
      const aborted = job.abort_requested !== undefined;
      return (
        (await this.#settleControl(env, job, aborted ? 'aborted' : 'paused', crashed, log)) ??
        delete_('duplicate')
      );
    }
    const retryCount = job.retry_count + 1;
    if (retryCount > this.#stage.retry.maxRetries) {
      return this.#fail({ env, message, source, retryCount: job.retry_count, startedAt: now, log }, lost, {
        version: job.version,
      });
    }
    const failed = this.#event('stage.failed', env, 'RUNNING', env.hop, job.retry_count + 1, {
      error: lost,
      retryable: true,
    });
    const started = this.#event('stage.started', env, 'RUNNING', env.hop, retryCount + 1);
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect: { version: job.version },
      set: {
        retry_count: retryCount,
        lease: { owner: this.#o.workerId, expires_at: now + this.#stage.visibilityTimeoutMs },
        updated_at: new Date(now).toISOString(),
      },
      events: [failed, started],
      attempt: crashed,
    });
    if (!result.ok) return release(DUE_SLACK_MS, 'busy');
    log.warn('took over a crashed attempt', { previous_owner: job.lease?.owner, retry_count: retryCount });
    this.#publish([failed, started], log);
    return this.#execute({ env, message, source, retryCount, startedAt: now, log });
  }

  async #hold(env: JobEnvelope, hold: Hold, log: Logger): Promise<boolean> {
    const held = this.#event('job.held', env, 'HELD', env.hop, undefined, {
      hold_id: hold.hold_id,
      until: hold.until,
      ...(hold.reason === undefined ? {} : { reason: hold.reason }),
    });
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect: { status: ['QUEUED', 'RETRY_WAITING'], hop: env.hop, stage: env.stage },
      set: { status: 'HELD', held_by: hold.hold_id, updated_at: this.#iso() },
      events: [held],
    });
    if (result.ok) this.#publish([held], log);
    return result.ok;
  }

  // -------------------------------------------------------------------------------------------
  // Running the stage.
  // -------------------------------------------------------------------------------------------

  async #execute(a: Attempt): Promise<Disposition> {
    const { env, message, source, log } = a;
    const stage = this.#stage;
    const attempt = a.retryCount + 1;
    const controller = new AbortController();
    const grace = this.#o.cancelGraceMs ?? 2_000;
    // Rejects only when a cancelled stage has not finished within the grace period.
    let giveUp: ((reason: unknown) => void) | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      giveUp = reject;
    });
    gaveUp.catch(() => undefined);
    let graceTimer: NodeJS.Timeout | undefined;
    const cancel = (reason: unknown): void => {
      if (controller.signal.aborted) return;
      controller.abort(reason);
      graceTimer = setTimeout(() => giveUp?.(reason), grace);
    };
    this.#running.add(cancel);
    const timeout = setTimeout(
      () => cancel(new StageTimeoutError(stage.name, stage.timeoutMs)),
      stage.timeoutMs,
    );
    let progress: ProgressThrottle | undefined;
    const keeper = new LeaseKeeper({
      store: this.#o.backend.store,
      queue: this.#o.backend.queue,
      clock: this.#clock,
      log,
      queueName: source.queue,
      receiptHandle: message.receiptHandle,
      jobId: env.job_id,
      hop: env.hop,
      owner: this.#o.workerId,
      leaseMs: stage.visibilityTimeoutMs,
      heartbeatMs: stage.heartbeatMs,
      leaseExpiresAt: a.startedAt + stage.visibilityTimeoutMs,
      progress: () => progress?.latest(),
      onControl: (reason: ControlReason) => cancel(new CancelledError(reason, controlMessage(reason))),
      scheduler: this.#heartbeats,
    });
    keeper.start();
    const job: JobIdentity = {
      job_id: env.job_id,
      tenant_id: env.tenant_id,
      pipeline: env.pipeline,
      stage: env.stage,
      entry_stage: env.entry_stage,
      exit_stage: env.exit_stage,
      hop: env.hop,
      attempt,
      retry_count: a.retryCount,
      priority: env.priority,
      trace_id: env.trace_id,
      tags: env.tags,
    };
    const ctx: StageContext = {
      job,
      params: env.params,
      signal: controller.signal,
      log: log.child({ attempt }),
      storage: this.#o.backend.blobs,
      progress: (percent, text) => {
        progress ??= new ProgressThrottle(
          this.#o.progressIntervalMs ?? 250,
          (update) => {
            const event = this.#event('stage.progress', env, 'RUNNING', env.hop, attempt, { ...update });
            this.#publish([event], log);
          },
          this.#clock,
        );
        progress.report(percent, text);
      },
    };
    let outputs: Record<string, unknown> | undefined;
    let failure: unknown;
    try {
      const inputs = await Promise.race([validateInputs(stage, env.params, ctx), gaveUp]);
      const returned = await Promise.race([Promise.resolve().then(() => stage.process(inputs, ctx)), gaveUp]);
      outputs = verifyOutputs(stage, returned);
      const reason: unknown = controller.signal.reason;
      // Finished despite a cancellation: keep the result unless the job was aborted or taken over.
      if (
        reason instanceof CancelledError &&
        (reason.reason === 'aborted' || reason.reason === 'lease-lost')
      ) {
        throw reason;
      }
    } catch (error) {
      outputs = undefined;
      failure = controller.signal.aborted ? (controller.signal.reason ?? error) : error;
    }
    clearTimeout(timeout);
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    progress?.close();
    this.#running.delete(cancel);
    await keeper.stop();
    return outputs === undefined ? this.#onStageError(a, failure) : this.#complete(a, outputs);
  }

  /** Append-before-forward: the completed state and event are stored before the next send. */
  async #complete(a: Attempt, outputs: Record<string, unknown>): Promise<Disposition> {
    const { env, log } = a;
    const now = this.#clock.now();
    const attempt = a.retryCount + 1;
    const params = { ...env.params, ...outputs };
    const next = nextStage(this.#pipeline, env.stage, env.exit_stage);
    const record = this.#attempt(env, attempt, a.startedAt, 'completed');
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
        body = serializeEnvelope(forward, this.#pipeline.contractLimitBytes);
      } catch (error) {
        return this.#onStageError(a, error);
      }
      events = [
        this.#event('stage.completed', env, 'QUEUED', env.hop, attempt, { ...data, next_stage: next.name }),
      ];
      change = {
        expect: this.#mine(env, true),
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
        this.#event('stage.completed', env, 'DONE', env.hop, attempt, data),
        this.#event('job.done', env, 'DONE', env.hop, attempt, { output_keys: Object.keys(params) }),
      ];
      change = {
        expect: this.#mine(env, false),
        set: {
          status: 'DONE',
          params,
          updated_at: iso(now),
          finished_at: iso(now),
          expires_at: this.#expiry(now),
        },
        unset: ['lease', 'progress', 'error', 'pause_requested'],
        events,
        attempt: record,
      };
    }
    const result = await this.#o.backend.store.transition(env.job_id, change);
    if (!result.ok) {
      const job = result.current;
      const reason =
        job?.abort_requested !== undefined ? 'aborted' : job?.pause_requested ? 'paused' : undefined;
      if (job === undefined || reason === undefined || !this.#holdsLease(job, env))
        return delete_('duplicate');
      if (reason === 'aborted') {
        return (await this.#settleControl(env, job, 'aborted', record, log)) ?? delete_('duplicate');
      }
      // Paused while finishing: keep the stage's work and park the job before its next stage.
      const paused = this.#event('job.paused', env, 'PAUSED', env.hop + 1, undefined, {
        before_stage: next?.name,
      });
      const parked = await this.#o.backend.store.transition(env.job_id, {
        expect: { version: job.version },
        set: { ...change.set, status: 'PAUSED' },
        unset: [...(change.unset ?? []), 'pause_requested'],
        events: [...events, paused],
        attempt: record,
      });
      if (parked.ok) this.#publish([...events, paused], log);
      return delete_(parked.ok ? 'paused' : 'duplicate');
    }
    this.#publish(events, log);
    if (next === undefined || body === undefined) return delete_('done');
    await this.#outbox(a.source).send(this.#o.topology.queueFor(env.pipeline, next.name, env.priority), [
      { body },
    ]);
    return delete_('forwarded');
  }

  async #onStageError(a: Attempt, error: unknown): Promise<Disposition> {
    const { env, log } = a;
    const attempt = a.retryCount + 1;
    if (error instanceof CancelledError) {
      switch (error.reason) {
        case 'lease-lost':
          log.warn('lost the lease while running; the new holder goes on');
          return delete_('duplicate');
        case 'shutdown':
          return this.#interrupt(a);
        case 'aborted':
        case 'paused': {
          const outcome: AttemptOutcome = error.reason;
          const record = this.#attempt(env, attempt, a.startedAt, outcome, error.toJSON());
          const job = await this.#o.backend.store.getJob(env.job_id);
          if (job === undefined || !this.#holdsLease(job, env)) return delete_('duplicate');
          return (await this.#settleControl(env, job, error.reason, record, log)) ?? delete_('duplicate');
        }
      }
    }
    const serialized = serializeError(error);
    const retryable = isRetryable(error);
    log.warn('stage attempt failed', { error, retryable, code: serialized.code });
    if (!retryable || a.retryCount >= this.#stage.retry.maxRetries) return this.#fail(a, serialized);

    const now = this.#clock.now();
    const delay =
      error instanceof RetryableError && error.delayMs !== undefined
        ? Math.max(0, error.delayMs)
        : backoffDelay(this.#stage.retry.backoff, a.retryCount + 1, this.#o.random);
    const retryAt = iso(now + delay);
    const retry: JobEnvelope = {
      ...withoutNotBefore(env),
      hop: env.hop + 1,
      retry_count: a.retryCount + 1,
      ...(delay > MAX_DELAY_MS ? { not_before: retryAt } : {}),
    };
    const body = serializeEnvelope(retry, this.#pipeline.contractLimitBytes);
    const failed = this.#event('stage.failed', env, 'RETRY_WAITING', env.hop, attempt, {
      error: serialized,
      retryable: true,
      retry_in_ms: delay,
    });
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect: this.#mine(env, true),
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
      attempt: this.#attempt(env, attempt, a.startedAt, 'retrying', serialized),
    });
    if (!result.ok) return this.#afterLostTransition(env, result.current, a, serialized);
    this.#publish([failed], log);
    await this.#outbox(a.source).send(this.#o.topology.queueFor(env.pipeline, env.stage, env.priority), [
      { body, delayMs: Math.min(delay, MAX_DELAY_MS) },
    ]);
    return delete_('retry-scheduled');
  }

  /** The job fails for good; when retries ran out, the message also goes to the stage's DLQ. */
  async #fail(
    a: Attempt,
    error: SerializedError,
    expect: JobChange['expect'] = this.#mine(a.env, false),
  ): Promise<Disposition> {
    const { env, log } = a;
    const now = this.#clock.now();
    const attempt = a.retryCount + 1;
    const exhausted = error.retryable;
    const events = [
      this.#event('stage.failed', env, 'FAILED', env.hop, attempt, {
        error,
        retryable: error.retryable,
        exhausted,
      }),
      this.#event('job.failed', env, 'FAILED', env.hop, attempt, {
        error,
        ...(exhausted ? { dead_lettered: true } : {}),
      }),
    ];
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect,
      set: {
        status: 'FAILED',
        error: { ...error, stage: env.stage, attempt, ...(exhausted ? { dead_lettered: true } : {}) },
        updated_at: iso(now),
        finished_at: iso(now),
        expires_at: this.#expiry(now),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested'],
      events,
      attempt: this.#attempt(env, attempt, a.startedAt, 'failed', error),
    });
    if (!result.ok) return this.#afterLostTransition(env, result.current, a, error);
    this.#publish(events, log);
    if (exhausted) {
      const reason = `Retries exhausted after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${error.message}`;
      await this.#outbox(a.source).send(this.#dlq, [
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
  async #interrupt(a: Attempt): Promise<Disposition> {
    const { env } = a;
    await this.#o.backend.store.transition(env.job_id, {
      expect: this.#mine(env, false),
      set: { status: 'QUEUED', updated_at: this.#iso() },
      unset: ['lease', 'progress'],
      attempt: this.#attempt(env, a.retryCount + 1, a.startedAt, 'interrupted'),
    });
    return release(0, 'interrupted');
  }

  /** A transition expecting our lease failed: honour a control request, or step aside. */
  async #afterLostTransition(
    env: JobEnvelope,
    job: JobRecord | undefined,
    a: Attempt,
    error: SerializedError,
  ): Promise<Disposition> {
    if (job === undefined || !this.#holdsLease(job, env)) return delete_('duplicate');
    const reason = job.abort_requested !== undefined ? 'aborted' : job.pause_requested ? 'paused' : undefined;
    if (reason === undefined) return release(DUE_SLACK_MS, 'busy');
    const record = this.#attempt(env, a.retryCount + 1, a.startedAt, 'failed', error);
    return (await this.#settleControl(env, job, reason, record, a.log)) ?? delete_('duplicate');
  }

  /** Ends a running stage as ABORTED or PAUSED (the job re-runs the stage on resume). */
  async #settleControl(
    env: JobEnvelope,
    job: JobRecord,
    reason: 'aborted' | 'paused',
    record: AttemptRecord,
    log: Logger,
  ): Promise<Disposition | undefined> {
    const now = this.#clock.now();
    const status: JobStatus = reason === 'aborted' ? 'ABORTED' : 'PAUSED';
    const event =
      reason === 'aborted'
        ? this.#event('job.aborted', env, status, job.hop, record.attempt, {
            reason: job.abort_requested ?? 'aborted',
          })
        : this.#event('job.paused', env, status, job.hop, record.attempt, { during_stage: env.stage });
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect: { version: job.version },
      set: {
        status,
        updated_at: iso(now),
        ...(reason === 'aborted' ? { finished_at: iso(now), expires_at: this.#expiry(now) } : {}),
      },
      unset: ['lease', 'progress', 'abort_requested', 'pause_requested'],
      events: [event],
      attempt: record,
    });
    if (!result.ok) return undefined;
    this.#publish([event], log);
    log.info(`job ${reason}`, { during_stage: env.stage });
    return delete_(reason);
  }

  // -------------------------------------------------------------------------------------------
  // Helpers.
  // -------------------------------------------------------------------------------------------

  /** A malformed or misrouted message: to the stage's DLQ with the reason; never a crash. */
  async #deadLetter(
    message: ReceivedMessage,
    source: MessageSource,
    error: StagecoachError,
  ): Promise<Disposition> {
    this.#log.error('dead-lettering a message', {
      code: error.code,
      reason: error.message,
      queue: source.queue,
    });
    await this.#outbox(source).send(this.#dlq, [
      {
        body: message.body,
        attributes: deadLetterAttributes(error.code, error.message, source.queue, message),
      },
    ]);
    return delete_('dead-lettered');
  }

  #outbox(source: MessageSource): Pick<JobQueue, 'send'> {
    return source.outbox ?? this.#o.backend.queue;
  }

  #mine(env: JobEnvelope, noControl: boolean): JobChange['expect'] {
    return {
      status: ['RUNNING'],
      hop: env.hop,
      leaseOwner: this.#o.workerId,
      ...(noControl ? { noControl } : {}),
    };
  }

  #holdsLease(job: JobRecord, env: JobEnvelope): boolean {
    return job.status === 'RUNNING' && job.hop === env.hop && job.lease?.owner === this.#o.workerId;
  }

  #event(
    type: JobEvent['type'],
    env: JobEnvelope,
    status: JobStatus,
    hop: number,
    attempt?: number,
    data?: Record<string, unknown>,
  ): JobEvent {
    return this.#events.make(type, env, {
      stage: env.stage,
      status,
      hop,
      ...(attempt === undefined ? {} : { attempt }),
      ...(data === undefined ? {} : { data }),
    });
  }

  #attempt(
    env: JobEnvelope,
    attempt: number,
    startedAt: number,
    outcome: AttemptOutcome,
    error?: SerializedError,
  ): AttemptRecord {
    const now = this.#clock.now();
    return {
      job_id: env.job_id,
      stage: env.stage,
      hop: env.hop,
      attempt,
      worker: this.#o.workerId,
      started_at: iso(startedAt),
      ended_at: iso(now),
      duration_ms: Math.max(0, now - startedAt),
      outcome,
      ...(error === undefined ? {} : { error }),
    };
  }

  /**
   * Hands events to the publisher without waiting: the store's event log already holds the durable
   * ones, so the bus is for live subscribers, and a batching publisher can combine the events of
   * concurrent messages. Shells call `events.flush()` before they return or stop.
   */
  #publish(events: readonly JobEvent[], log: Logger): void {
    this.#o.backend.events.publish(events).catch((error: unknown) => {
      log.warn('publishing events failed', { error, types: events.map((e) => e.type) });
    });
  }

  #expiry(now: number): number {
    return Math.floor(now / 1000) + (this.#o.retentionS ?? 90 * 86_400);
  }

  #iso(): string {
    return iso(this.#clock.now());
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function withoutNotBefore(env: JobEnvelope): JobEnvelope {
  const { not_before: _dropped, ...rest } = env;
  return rest;
}

function controlMessage(reason: ControlReason): string {
  switch (reason) {
    case 'aborted':
      return 'The job was aborted.';
    case 'paused':
      return 'The job was paused; the stage runs again on resume.';
    case 'lease-lost':
      return 'Another worker took over this stage.';
  }
}

export function deadLetterAttributes(
  code: string,
  reason: string,
  sourceQueue: string,
  message: ReceivedMessage,
): Record<string, string> {
  return {
    dead_letter_code: code,
    dead_letter_reason: reason.length > 1_000 ? `${reason.slice(0, 997)}...` : reason,
    source_queue: sourceQueue,
    original_message_id: message.messageId,
  };
}

export const newWorkerId = (prefix = 'worker'): string => `${prefix}-${randomUUID().slice(0, 8)}`;
