import type { Clock } from '../ports/clock.js';
import { type JobEnvelope, safeParseEnvelope, serializeEnvelope } from '../ports/contract.js';
import { CancelledError, ContractError, type SerializedError, StageTimeoutError } from '../ports/errors.js';
import { envelopeOf, type Hold, type JobRecord } from '../ports/job.js';
import { MAX_DELAY_MS, type ReceivedMessage } from '../ports/job-queue.js';
import type { Logger } from '../ports/logger.js';
import type { Pipeline } from '../sdk/pipeline.js';
import {
  type JobIdentity,
  type Stage,
  type StageContext,
  validateInputs,
  verifyOutputs,
} from '../sdk/stage.js';
import { type ControlReason, HeartbeatScheduler, LeaseKeeper } from './lease.js';
import { ProgressThrottle } from './progress.js';
import {
  type Attempt,
  controlMessage,
  type Disposition,
  DUE_SLACK_MS,
  delete_,
  type MessageSource,
  RunnerKit,
  type RunnerOptions,
  release,
} from './runner-kit.js';
import { StageOutcomes } from './stage-outcomes.js';

/** How long a job may wait for a forward that is still in flight before it counts as lost. */
const FORWARD_GRACE_MS = 5_000;

/**
 * Processes one message of one stage: at-least-once delivery in, exactly-once stage effects out
 * (DESIGN §5). Never throws for a bad message (it is dead-lettered with its reason); throws only
 * when the backend fails, in which case the shell leaves the message to be delivered again.
 */
export class StageRunner {
  readonly #k: RunnerKit;
  readonly #outcomes: StageOutcomes;
  readonly #pipeline: Pipeline;
  readonly #stage: Stage;
  readonly #o: RunnerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #heartbeats: HeartbeatScheduler;
  /** Cancellers of the stages running now, for interrupt(). */
  readonly #running = new Set<(reason: unknown) => void>();

  constructor(pipeline: Pipeline, stage: Stage, options: RunnerOptions) {
    this.#k = new RunnerKit(pipeline, stage, options);
    this.#outcomes = new StageOutcomes(this.#k);
    this.#pipeline = pipeline;
    this.#stage = stage;
    this.#o = options;
    this.#clock = this.#k.clock;
    this.#log = this.#k.log;
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
    if (!parsed.success) return this.#k.deadLetter(message, source, parsed.error);
    const env = parsed.envelope;
    if (env.pipeline !== this.#pipeline.name || env.stage !== this.#stage.name) {
      return this.#k.deadLetter(
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
        await this.#k
          .outbox(source)
          .send(source.queue, [{ body: message.body, delayMs: Math.min(wait, MAX_DELAY_MS) }]);
        return delete_('deferred');
      }
    }
    const hold = await this.#o.holds?.match(env.tenant_id, env.tags);
    if (hold !== undefined && (await this.#hold(env, hold, log))) return delete_('held');

    const started = this.#k.event('stage.started', env, 'RUNNING', env.hop, env.retry_count + 1);
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
    this.#k.publish([started], log);
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
      return this.#k.deadLetter(
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
      return this.#k.deadLetter(
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
        const skipped = this.#k.event('stage.skipped', env, 'ABORTED', job.hop, undefined, {
          reason: 'job aborted',
        });
        const result = await this.#o.backend.store.transition(env.job_id, {
          expect: { version: job.version },
          set: { updated_at: this.#k.iso() },
          events: [skipped],
        });
        if (result.ok) this.#k.publish([skipped], log);
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
   * write; send it again (the claim makes any extra copy harmless). A job that moved on only just
   * now most likely has that send in flight (a copy of a message delivered twice, a resubmitted
   * job): look again once the grace has passed rather than put a second copy on the next queue.
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
    const grace = Math.min(this.#stage.visibilityTimeoutMs, FORWARD_GRACE_MS);
    const age = this.#clock.now() - Date.parse(job.updated_at);
    if (age < grace) return release(grace - age + DUE_SLACK_MS, 'busy');
    const due = job.retry_at === undefined ? 0 : Math.max(0, Date.parse(job.retry_at) - this.#clock.now());
    const queue = this.#o.topology.queueFor(job.pipeline, job.stage, job.priority);
    await this.#k.outbox(source).send(queue, [
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
    const crashed = this.#k.attempt(env, job.retry_count + 1, Date.parse(job.updated_at), 'crashed', lost);
    if (job.abort_requested !== undefined || job.pause_requested === true) {
      const aborted = job.abort_requested !== undefined;
      return (
        (await this.#outcomes.settleControl(env, job, aborted ? 'aborted' : 'paused', crashed, log)) ??
        delete_('duplicate')
      );
    }
    const retryCount = job.retry_count + 1;
    if (retryCount > this.#stage.retry.maxRetries) {
      return this.#outcomes.fail(
        { env, message, source, retryCount: job.retry_count, startedAt: now, log },
        lost,
        {
          version: job.version,
        },
      );
    }
    const failed = this.#k.event('stage.failed', env, 'RUNNING', env.hop, job.retry_count + 1, {
      error: lost,
      retryable: true,
    });
    const started = this.#k.event('stage.started', env, 'RUNNING', env.hop, retryCount + 1);
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
    this.#k.publish([failed, started], log);
    return this.#execute({ env, message, source, retryCount, startedAt: now, log });
  }

  async #hold(env: JobEnvelope, hold: Hold, log: Logger): Promise<boolean> {
    const held = this.#k.event('job.held', env, 'HELD', env.hop, undefined, {
      hold_id: hold.hold_id,
      until: hold.until,
      ...(hold.reason === undefined ? {} : { reason: hold.reason }),
    });
    const result = await this.#o.backend.store.transition(env.job_id, {
      expect: { status: ['QUEUED', 'RETRY_WAITING'], hop: env.hop, stage: env.stage },
      set: { status: 'HELD', held_by: hold.hold_id, updated_at: this.#k.iso() },
      events: [held],
    });
    if (result.ok) this.#k.publish([held], log);
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
      records: this.#o.backend.records,
      progress: (percent, text) => {
        progress ??= new ProgressThrottle(
          this.#o.progressIntervalMs ?? 250,
          (update) => {
            const event = this.#k.event('stage.progress', env, 'RUNNING', env.hop, attempt, { ...update });
            this.#k.publish([event], log);
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
    return outputs === undefined
      ? this.#outcomes.stageError(a, failure)
      : this.#outcomes.complete(a, outputs);
  }
}
