import type { BlobStore } from '../ports/blob-store.js';
import { type JobEnvelope, safeParseEnvelope, serializeEnvelope } from '../ports/contract.js';
import { CancelledError, ContractError, type SerializedError, StageTimeoutError } from '../ports/errors.js';
import { envelopeOf, type Hold, type JobRecord, type RunEntry } from '../ports/job.js';
import { MAX_DELAY_MS, type ReceivedMessage } from '../ports/job-queue.js';
import type { Logger } from '../ports/logger.js';
import { type TenantRecords, tenantRecords } from '../ports/record-store.js';
import { tenantBlobs } from '../ports/tenant-blobs.js';
import type { Pipeline } from '../sdk/pipeline.js';
import {
  type JobIdentity,
  type Stage,
  type StageContext,
  validateInputs,
  verifyOutputs,
} from '../sdk/stage.js';
import { eventsOf, markEvent, openRun, progressEvent } from './history.js';
import { HeartbeatScheduler, LeaseKeeper } from './lease.js';
import { ProgressThrottle } from './progress.js';
import {
  type ControlReason,
  controlMessage,
  type Disposition,
  DUE_SLACK_MS,
  delete_,
  type Execution,
  iso,
  type MessageSource,
  RunnerKit,
  type RunnerOptions,
  release,
} from './runner-kit.js';
import { StageOutcomes } from './stage-outcomes.js';
import { TenantSlots } from './tenant-slots.js';

/** How long a job may wait for a forward that is still in flight before it counts as lost. */
const FORWARD_GRACE_MS = 5_000;
/** A message waiting for its job's control-plane write is looked at again after this, at first. */
const FIRST_WAIT_MS = 2_000;
/** Tenants whose storage and records views a runner keeps (they hold nothing but the tenant id). */
const TENANT_VIEWS = 1_000;

interface TenantViews {
  readonly storage: BlobStore;
  readonly records: TenantRecords;
}

/**
 * Processes one message of one stage: at-least-once delivery in, exactly-once job state, events and
 * forwards out (DESIGN §5, docs/reliability.md). It reads the job (one strongly consistent read),
 * decides what the message is — the job's next step, a duplicate, a message whose job has moved on
 * or not yet arrived — and runs the stage. A stage that ends quickly costs one conditional write,
 * which is its whole durable record; one that runs long is claimed by its heartbeat. Never throws
 * for a bad message (it is dead-lettered with its reason); throws only when the backend fails, in
 * which case the shell leaves the message to be delivered again.
 */
export class StageRunner {
  readonly #k: RunnerKit;
  readonly #outcomes: StageOutcomes;
  readonly #slots: TenantSlots;
  readonly #heartbeats: HeartbeatScheduler;
  /** Cancellers of the stages running now, for interrupt(). */
  readonly #running = new Set<(reason: unknown) => void>();
  /** Stages that ignored their signal past the grace period and are still running. */
  readonly #zombies = new Set<Promise<unknown>>();
  /** ctx.storage and ctx.records per tenant, built once rather than on every stage run. */
  readonly #views = new Map<string, TenantViews>();

  constructor(pipeline: Pipeline, stage: Stage, options: RunnerOptions) {
    this.#k = new RunnerKit(pipeline, stage, options);
    this.#outcomes = new StageOutcomes(this.#k);
    this.#slots = new TenantSlots(this.#k, options.runningLimit);
    this.#heartbeats = new HeartbeatScheduler(
      Math.min(250, Math.max(10, Math.floor(stage.heartbeatMs / 4))),
      this.#k.clock,
    );
  }

  get stage(): Stage {
    return this.#k.stage;
  }

  /** How many stages this runner is running now, those that ignored their signal included. */
  get inFlight(): number {
    return this.#running.size + this.#zombies.size;
  }

  /** Stages that ignored their signal past the grace period and still run (they hold their slot). */
  get zombies(): number {
    return this.#zombies.size;
  }

  /** Resolves when every stage that ignored its signal has finished after all. */
  async settled(): Promise<void> {
    while (this.#zombies.size > 0) await Promise.allSettled([...this.#zombies]);
  }

  /**
   * Cancels every running stage because the worker is going away (shutdown, or a Lambda about to
   * run out of time): each gives its message back, un-retried, for another worker to run.
   */
  interrupt(message = 'The worker is shutting down.'): void {
    for (const cancel of [...this.#running]) cancel(new CancelledError('shutdown', message));
  }

  async handle(message: ReceivedMessage, source: MessageSource): Promise<Disposition> {
    const published: Promise<boolean>[] = [];
    const disposition = await this.#handle(message, { ...source, published });
    if (published.length === 0) return disposition;
    return { ...disposition, published: Promise.all(published).then((all) => all.every(Boolean)) };
  }

  async #handle(message: ReceivedMessage, source: MessageSource): Promise<Disposition> {
    const k = this.#k;
    const parsed = safeParseEnvelope(message.body, k.pipeline.contractLimitBytes);
    if (!parsed.success) return k.deadLetter(message, source, parsed.error);
    const env = parsed.envelope;
    if (env.pipeline !== k.pipeline.name || env.stage !== k.stage.name) {
      return k.deadLetter(
        message,
        source,
        new ContractError(
          `The message is for '${env.pipeline}/${env.stage}' but arrived on '${source.queue}', the queue of '${k.pipeline.name}/${k.stage.name}'. Submit jobs through the JobService so they follow the pipeline's topology.`,
          { code: 'MISROUTED' },
        ),
      );
    }
    const log = k.log.child({
      job_id: env.job_id,
      tenant_id: env.tenant_id,
      hop: env.hop,
      attempt: env.retry_count + 1,
      trace_id: env.trace_id,
    });
    const now = k.clock.now();
    if (env.not_before !== undefined) {
      const wait = Date.parse(env.not_before) - now;
      if (wait > DUE_SLACK_MS) {
        await k.send(source, source.queue, [
          { body: message.body, delayMs: Math.min(wait, MAX_DELAY_MS), group: env.tenant_id },
        ]);
        return delete_('deferred');
      }
    }
    const job = await k.store.getJob(env.tenant_id, env.job_id);
    if (job === undefined) return this.#waitOrDrop(message, 'its job does not exist (yet)', log);
    if (job.hop > env.hop) return this.#behind(env, job, source, log);
    if (job.hop < env.hop) return this.#waitOrDrop(message, `its job is still at hop ${job.hop}`, log);
    if (job.stage !== env.stage) {
      return k.deadLetter(
        message,
        source,
        new ContractError(
          `The message (hop ${env.hop}, stage '${env.stage}') does not match the job's state (hop ${job.hop}, stage '${job.stage}'); it was not sent by Stagecoach.`,
          { code: 'STATE_MISMATCH' },
        ),
      );
    }
    switch (job.status) {
      case 'DONE':
      case 'FAILED':
        return this.#settledAlready(job, env.hop, source, log, 'duplicate');
      case 'ABORTED':
        return this.#settledAlready(job, env.hop, source, log, 'skipped');
      case 'PAUSED':
      case 'HELD':
        return this.#settledAlready(job, env.hop, source, log, 'parked');
      case 'RUNNING': {
        // Another delivery holds a live lease: this copy is a duplicate, and that worker's own
        // message comes back if it dies — so delete this one rather than burn its receives.
        if ((job.lease?.expires_at ?? 0) > now) return delete_('busy');
        return this.#takeOver(env, message, source, job, log);
      }
      case 'QUEUED':
      case 'RETRY_WAITING': {
        const hold = await k.options.holds?.match(env.tenant_id, env.tags);
        if (hold !== undefined) {
          const parked = await this.#park(env, job, hold, source, log);
          if (parked !== undefined) return parked;
        }
        const slot = await this.#slots.take(env, now);
        if (slot === 'full') return this.#slots.throttle(env, message, source, log);
        // A stage is claimed (RUNNING, its start stored and published) once it outlives its first
        // heartbeat — or at once while someone watches the tenant, so a live view shows it running.
        const watched = await k.events.watched(env.tenant_id).catch(async (error: unknown) => {
          if (slot !== undefined) await this.#slots.release(env, slot, log);
          throw error;
        });
        return this.#execute({
          slot,
          env,
          message,
          source,
          retryCount: env.retry_count,
          startedAt: now,
          log,
          claim: undefined,
          stopped: undefined,
          claimAfterMs: watched ? 0 : undefined,
        });
      }
    }
  }

  /**
   * The tenant's storage and records views (stateless wrappers, so one per tenant serves every run):
   * on the tenant's own stores when the shell supplies them (`tenantStores`), else on the backend's.
   */
  #tenantViews(tenantId: string): TenantViews {
    let views = this.#views.get(tenantId);
    if (views === undefined) {
      const { blobs, records } = this.#k.options.tenantStores?.(tenantId) ?? this.#k.options.backend;
      // Frozen: a stage that reassigns a method of its ctx.storage cannot change another run's.
      views = {
        storage: Object.freeze(tenantBlobs(blobs, tenantId)),
        records: Object.freeze(tenantRecords(records, tenantId)),
      };
      if (this.#views.size >= TENANT_VIEWS) this.#views.clear();
      this.#views.set(tenantId, views);
    }
    return views;
  }

  // -------------------------------------------------------------------------------------------
  // Messages that are not the job's next step.
  // -------------------------------------------------------------------------------------------

  /**
   * A control action sends its message before it writes the job (so a crash between the two
   * leaves an orphan message, never a job waiting for a message that does not exist). Such a
   * message may arrive before the write: wait for it a little; if it never lands, drop the message.
   */
  #waitOrDrop(message: ReceivedMessage, why: string, log: Logger): Disposition {
    const grace = this.#k.options.orphanGraceMs ?? 30_000;
    const age = this.#k.clock.now() - message.sentAt;
    if (age < grace) return release(Math.min(grace - age, Math.max(FIRST_WAIT_MS, age)), 'waiting');
    log.warn('dropping a message whose job never reached it', { why, age_ms: age });
    return delete_('orphaned');
  }

  /**
   * The message is behind the job: a duplicate. If the job is waiting for exactly the send this
   * message's processing should have made, that send may have been lost in a crash after the state
   * write; send it again (the next delivery's checks make any extra copy harmless). A job that moved
   * on only just now most likely has that send in flight: look again once the grace has passed.
   */
  async #behind(env: JobEnvelope, job: JobRecord, source: MessageSource, log: Logger): Promise<Disposition> {
    const k = this.#k;
    if (job.hop !== env.hop + 1 || (job.status !== 'QUEUED' && job.status !== 'RETRY_WAITING')) {
      return this.#settledAlready(job, env.hop, source, log, 'duplicate');
    }
    const grace = Math.min(k.stage.visibilityTimeoutMs, FORWARD_GRACE_MS);
    const age = k.clock.now() - Date.parse(job.updated_at);
    if (age < grace) return release(grace - age + DUE_SLACK_MS, 'busy');
    const due = job.retry_at === undefined ? 0 : Math.max(0, Date.parse(job.retry_at) - k.clock.now());
    await k.send(source, k.topology.queueFor(job.pipeline, job.stage, job.priority), [
      {
        body: serializeEnvelope(envelopeOf(job), k.pipeline.contractLimitBytes),
        delayMs: Math.min(due, MAX_DELAY_MS),
      },
    ]);
    log.info('re-sent a forward that may have been lost', { to_stage: job.stage, to_hop: job.hop });
    return this.#settledAlready(job, env.hop, source, log, 'healed');
  }

  /**
   * The message's step is already done (a redelivery after a crash, a publish that failed, or a
   * plain duplicate): its events are published again — the same ids, so consumers keep one — and
   * the message goes once they are on the bus. This is what makes the bus at-least-once.
   */
  #settledAlready(
    job: JobRecord,
    hop: number,
    source: MessageSource,
    log: Logger,
    outcome: 'duplicate' | 'skipped' | 'parked' | 'healed',
  ): Disposition {
    const k = this.#k;
    k.publish(
      job,
      eventsOf(job, k.shape).filter((event) => event.hop === hop),
      log,
      source,
    );
    return delete_(outcome);
  }

  /** A previous delivery's worker stopped renewing its lease: it crashed, timed out or was killed. */
  async #takeOver(
    env: JobEnvelope,
    message: ReceivedMessage,
    source: MessageSource,
    job: JobRecord,
    log: Logger,
  ): Promise<Disposition> {
    const k = this.#k;
    const now = k.clock.now();
    const open = openRun(job);
    const lost: SerializedError = {
      name: 'StageCrashedError',
      code: 'STAGE_CRASHED',
      message: `Attempt ${job.retry_count + 1} of stage '${env.stage}' stopped renewing its lease (worker ${job.lease?.owner ?? 'unknown'} crashed, timed out or was killed).`,
      retryable: true,
    };
    const crashed: RunEntry = {
      kind: 'run',
      stage: env.stage,
      hop: env.hop,
      attempt: job.retry_count + 1,
      worker: job.lease?.owner ?? 'unknown',
      started_at: open?.run.started_at ?? now,
      ended_at: now,
      outcome: 'crashed',
      error: lost,
    };
    const previous = {
      ...(open === undefined ? { append: [crashed] } : { replace: { index: open.index, entry: crashed } }),
    };
    if (job.abort_requested !== undefined || job.pause_requested === true) {
      const reason = job.abort_requested !== undefined ? 'aborted' : 'paused';
      return (
        (await this.#outcomes.settleControl(env, job, reason, previous, log, source)) ?? delete_('duplicate')
      );
    }
    const retryCount = job.retry_count + 1;
    if (retryCount > k.stage.retry.maxRetries) {
      return this.#outcomes.failTakenOver(env, message, source, job, crashed, previous, log);
    }
    // The crashed attempt's slot (same hop, same holder) is taken over with it, if it is still there.
    const slot = await this.#slots.take(env, now);
    if (slot === 'full') return this.#slots.throttle(env, message, source, log);
    const run: RunEntry = {
      kind: 'run',
      stage: env.stage,
      hop: env.hop,
      attempt: retryCount + 1,
      worker: k.workerId,
      started_at: now,
    };
    const expiresAt = now + k.stage.leaseMs;
    const result = await k.store.transition(env.tenant_id, env.job_id, {
      expect: { version: job.version },
      set: {
        retry_count: retryCount,
        lease: { owner: k.workerId, expires_at: expiresAt },
        updated_at: iso(now),
      },
      ...(open === undefined
        ? { append: [crashed, run] }
        : { replace: { index: open.index, entry: crashed }, append: [run] }),
    });
    if (!result.ok) {
      if (slot !== undefined) await this.#slots.release(env, slot, log);
      return release(DUE_SLACK_MS, 'busy');
    }
    log.warn('took over a crashed attempt', { previous_owner: job.lease?.owner, retry_count: retryCount });
    await k.queue.changeVisibility(source.queue, message.receiptHandle, k.stage.leaseMs);
    k.publish(
      result.job,
      [...k.runEvents(result.job, crashed), ...k.runEvents(result.job, run)],
      log,
      source,
    );
    return this.#execute({
      env,
      message,
      source,
      retryCount,
      startedAt: now,
      log,
      claim: { index: result.job.history.length - 1, run, leaseExpiresAt: expiresAt },
      stopped: undefined,
      slot,
    });
  }

  /**
   * Parks the job on a hold — only if the hold is still active, in the same write — so a hold
   * cleared meanwhile never leaves a job parked by it. Undefined when the job should run after all.
   */
  async #park(
    env: JobEnvelope,
    job: JobRecord,
    hold: Hold,
    source: MessageSource,
    log: Logger,
  ): Promise<Disposition | undefined> {
    const k = this.#k;
    const now = k.clock.now();
    const mark = {
      kind: 'mark' as const,
      type: 'job.held' as const,
      stage: env.stage,
      hop: env.hop,
      status: 'HELD' as const,
      at: now,
      data: {
        hold_id: hold.hold_id,
        until: hold.until,
        ...(hold.reason === undefined ? {} : { reason: hold.reason }),
      },
    };
    const result = await k.store.parkOnHold(
      env.tenant_id,
      env.job_id,
      {
        expect: { status: ['QUEUED', 'RETRY_WAITING'], hop: env.hop, stage: env.stage, version: job.version },
        set: { status: 'HELD', held_by: hold.hold_id, updated_at: iso(now) },
        append: [mark],
      },
      hold.hold_id,
      now,
    );
    if (result === 'hold-inactive') {
      k.options.holds?.invalidate();
      return undefined;
    }
    if (!result.ok) return release(DUE_SLACK_MS, 'busy');
    k.publish(result.job, [markEvent(result.job, mark)], log, source);
    return delete_('held');
  }

  // -------------------------------------------------------------------------------------------
  // Running the stage.
  // -------------------------------------------------------------------------------------------

  async #execute(x: Execution): Promise<Disposition> {
    const k = this.#k;
    const { env, log } = x;
    const stage = k.stage;
    const attempt = x.retryCount + 1;
    const controller = new AbortController();
    const grace = k.options.cancelGraceMs ?? 2_000;
    const slot = x.slot;
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
      kit: k,
      exec: x,
      leaseMs: stage.leaseMs,
      heartbeatMs: stage.heartbeatMs,
      claimAfterMs: x.claimAfterMs ?? stage.heartbeatMs,
      progress: () => progress?.latest(),
      onClaimed: (job, run) => k.publish(job, k.runEvents(job, run), log, x.source),
      onStop: (reason: ControlReason) => cancel(new CancelledError(reason, controlMessage(reason))),
      scheduler: this.#heartbeats,
      ...(slot === undefined ? {} : { renewSlot: (now: number) => this.#slots.renew(env, slot, now) }),
    });
    keeper.start();
    const identity: JobIdentity = {
      job_id: env.job_id,
      tenant_id: env.tenant_id,
      pipeline: env.pipeline,
      stage: env.stage,
      entry_stage: env.entry_stage,
      exit_stage: env.exit_stage,
      hop: env.hop,
      attempt,
      retry_count: x.retryCount,
      priority: env.priority,
      trace_id: env.trace_id,
      tags: env.tags,
    };
    const ctx: StageContext = {
      job: identity,
      params: env.params,
      signal: controller.signal,
      log: log.child({ attempt }),
      ...this.#tenantViews(env.tenant_id),
      idempotencyKey: `${env.tenant_id}/${env.job_id}/${env.stage}/${env.stage_hop ?? env.hop}`,
      progress: (percent, text) => {
        progress ??= new ProgressThrottle(
          k.options.progressIntervalMs ?? 250,
          (update) => {
            k.publish(env, [progressEvent(env, attempt, update, k.clock.now())], log);
          },
          k.clock,
        );
        progress.report(percent, text);
      },
    };
    let outputs: Record<string, unknown> | undefined;
    let failure: unknown;
    let finished = false;
    const work = Promise.resolve().then(async () => {
      const inputs = await validateInputs(stage, env.params, ctx);
      return stage.process(inputs, ctx);
    });
    // Attached first, so it has run by the time anything awaiting `work` resumes.
    work.then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    try {
      const returned = await Promise.race([work, gaveUp]);
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
    // A stage that ignored its signal still holds its slot until it really ends: no second copy of
    // it may start in this process meanwhile.
    let settled: Promise<void> | undefined;
    if (!finished) {
      const zombie = work.then(
        () => undefined,
        () => undefined,
      );
      this.#zombies.add(zombie);
      settled = zombie.finally(() => this.#zombies.delete(zombie));
      log.error('the stage ignored its AbortSignal past the grace period; it keeps its slot until it ends', {
        grace_ms: grace,
      });
    }
    await keeper.stop();
    let disposition: Disposition;
    try {
      disposition =
        outputs === undefined
          ? await this.#outcomes.stageError(x, failure)
          : await this.#outcomes.complete(x, outputs);
    } finally {
      // Freed once the outcome is written, so the tenant's next job never runs beside this one —
      // or, for a stage that ignored its signal, once it really ends.
      if (slot !== undefined) {
        if (settled === undefined) await this.#slots.release(env, slot, log);
        else void settled.then(() => this.#slots.release(env, slot, log));
      }
    }
    return settled === undefined ? disposition : { ...disposition, settled };
  }
}
