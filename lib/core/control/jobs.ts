import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { EventFactory } from '../engine/events.js';
import type { HoldCache } from '../engine/holds.js';
import type { Topology } from '../engine/topology.js';
import type { Backend } from '../ports/backend.js';
import { type Clock, sleep, systemClock } from '../ports/clock.js';
import { formatIssues, type JobEnvelope, serializeEnvelope } from '../ports/contract.js';
import {
  InvalidTransitionError,
  JobExistsError,
  JobNotFoundError,
  StagecoachError,
  ValidationError,
} from '../ports/errors.js';
import {
  type AttemptRecord,
  applyChange,
  envelopeOf,
  type Hold,
  isTerminal,
  type JobChange,
  type JobEvent,
  type JobRecord,
  type JobStatus,
  type Page,
  TERMINAL_STATUSES,
  UNSETTABLE_FIELDS,
} from '../ports/job.js';
import { MAX_DELAY_MS } from '../ports/job-queue.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { checkInputs, describePipeline, type PipelineDescription } from '../sdk/describe.js';
import { findStage, stageIndex } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';
import {
  type Caller,
  type HoldRequest,
  HoldRequestSchema,
  type ReplayRequest,
  ReplayRequestSchema,
  type SubmitRequest,
  SubmitRequestSchema,
  WaitTimeoutError,
} from './job-requests.js';

export * from './job-requests.js';

export interface JobServiceOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events'>;
  readonly topology: Topology;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Invalidated when holds change, so in-process runners see them at once. */
  readonly holds?: HoldCache;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
}

function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(`Invalid ${what}: ${formatIssues(parsed.error)}.`, { code: 'BAD_REQUEST' });
  }
  return parsed.data;
}

/** Creates jobs and controls them: the backend's API, shared by HTTP handlers, the CLI and tests. */
export class JobService {
  readonly #o: JobServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventFactory;

  constructor(options: JobServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'jobs' });
    this.#events = new EventFactory(this.#clock);
  }

  async submit(input: SubmitRequest, caller: Caller): Promise<JobRecord> {
    const req = parseInput(SubmitRequestSchema, input, 'job request');
    const pipeline = this.#o.topology.pipelines.get(req.pipeline);
    if (pipeline === undefined) {
      throw new ValidationError(
        `Unknown pipeline '${req.pipeline}'. Known pipelines: ${[...this.#o.topology.pipelines.keys()].join(', ')}.`,
        { code: 'UNKNOWN_PIPELINE' },
      );
    }
    const first = pipeline.stages[0]?.name ?? '';
    const last = pipeline.stages.at(-1)?.name ?? '';
    const entry = req.entry_stage ?? first;
    const exit = req.exit_stage ?? last;
    for (const [field, name] of [
      ['entry_stage', entry],
      ['exit_stage', exit],
    ] as const) {
      if (findStage(pipeline, name) === undefined) {
        throw new ValidationError(
          `${field} '${name}' is not a stage of pipeline '${pipeline.name}' (stages: ${pipeline.stages.map((s) => s.name).join(', ')}).`,
          { code: 'UNKNOWN_STAGE' },
        );
      }
    }
    if (stageIndex(pipeline, entry) > stageIndex(pipeline, exit)) {
      throw new ValidationError(
        `entry_stage '${entry}' comes after exit_stage '${exit}' in pipeline '${pipeline.name}'.`,
        {
          code: 'BAD_RANGE',
        },
      );
    }
    await this.#checkParams(pipeline.name, findStage(pipeline, entry), req.params, 'cannot start at');
    const now = this.#iso();
    const jobId = req.job_id ?? randomUUID();
    const envelope: JobEnvelope = {
      job_id: jobId,
      pipeline: pipeline.name,
      entry_stage: entry,
      exit_stage: exit,
      stage: entry,
      hop: 0,
      retry_count: 0,
      priority: req.priority,
      tenant_id: caller.tenantId,
      params: req.params,
      tags: req.tags,
      created_at: now,
      trace_id: req.trace_id ?? randomUUID(),
    };
    const body = serializeEnvelope(envelope, pipeline.contractLimitBytes);
    const job: JobRecord = {
      ...envelope,
      status: 'QUEUED',
      updated_at: now,
      version: 1,
    };
    const created = this.#event('job.created', job, {
      entry_stage: entry,
      exit_stage: exit,
      priority: req.priority,
    });
    try {
      await this.#o.backend.store.createJob(job, [created]);
    } catch (error) {
      if (!(error instanceof JobExistsError)) throw error;
      const existing = await this.#o.backend.store.getJob(jobId);
      if (existing === undefined || existing.tenant_id !== caller.tenantId) throw error;
      // Idempotent submit: a retried request also heals a send lost after the first create.
      if (existing.status === 'QUEUED' && existing.hop === 0) await this.#send(existing);
      return existing;
    }
    await this.#publish([created]);
    await this.#o.backend.queue.send(this.#o.topology.queueFor(pipeline.name, entry, req.priority), [
      { body },
    ]);
    this.#log.info('job submitted', {
      job_id: jobId,
      pipeline: pipeline.name,
      entry_stage: entry,
      tenant_id: caller.tenantId,
    });
    return job;
  }

  /** The pipelines this deployment runs, with each stage's inputs as JSON Schema. */
  pipelines(): readonly PipelineDescription[] {
    return [...this.#o.topology.pipelines.values()].map(describePipeline);
  }

  async get(jobId: string, caller: Caller): Promise<JobRecord> {
    const job = await this.#o.backend.store.getJob(jobId);
    if (job === undefined || job.tenant_id !== caller.tenantId) throw new JobNotFoundError(jobId);
    return job;
  }

  async list(
    caller: Caller,
    query: { status?: JobStatus; pipeline?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<JobRecord>> {
    return this.#o.backend.store.listJobs({ ...query, tenant_id: caller.tenantId });
  }

  async events(
    jobId: string,
    caller: Caller,
    query: { cursor?: string; limit?: number } = {},
  ): Promise<Page<JobEvent>> {
    await this.get(jobId, caller);
    return this.#o.backend.store.listEvents(jobId, query);
  }

  async attempts(jobId: string, caller: Caller): Promise<readonly AttemptRecord[]> {
    await this.get(jobId, caller);
    return this.#o.backend.store.listAttempts(jobId);
  }

  /** Aborts a job: at once when it is waiting; through its AbortSignal when it is running. */
  async abort(jobId: string, caller: Caller, reason = 'aborted by request'): Promise<JobRecord> {
    return this.#mutate(jobId, caller, (job, now) => {
      if (job.status === 'ABORTED') return undefined;
      if (isTerminal(job.status)) {
        throw new InvalidTransitionError(
          jobId,
          'abort',
          job.status,
          'It has already finished; replay it to run it again.',
        );
      }
      const leaseLive = job.status === 'RUNNING' && (job.lease?.expires_at ?? 0) > now;
      if (leaseLive) {
        return { expect: { version: job.version }, set: { abort_requested: reason, updated_at: iso(now) } };
      }
      return {
        expect: { version: job.version },
        set: {
          status: 'ABORTED',
          updated_at: iso(now),
          finished_at: iso(now),
          expires_at: this.#expiry(now),
        },
        unset: ['lease', 'abort_requested', 'pause_requested', 'held_by', 'retry_at', 'progress'],
        events: [this.#event('job.aborted', job, { reason }, 'ABORTED')],
      };
    });
  }

  /** Pauses a job: a running stage is stopped (and re-run on resume); a waiting job parks. */
  async pause(jobId: string, caller: Caller): Promise<JobRecord> {
    return this.#mutate(jobId, caller, (job, now) => {
      if (job.status === 'PAUSED' || job.pause_requested === true) return undefined;
      if (isTerminal(job.status)) {
        throw new InvalidTransitionError(jobId, 'pause', job.status, 'It has already finished.');
      }
      if (job.status === 'RUNNING') {
        return { expect: { version: job.version }, set: { pause_requested: true, updated_at: iso(now) } };
      }
      return {
        expect: { version: job.version },
        set: { status: 'PAUSED', updated_at: iso(now) },
        unset: ['held_by'],
        events: [this.#event('job.paused', job, { before_stage: job.stage }, 'PAUSED')],
      };
    });
  }

  /**
   * Resumes a paused job at the stage it stopped before or in. On a job that is already waiting in
   * a queue it sends its message again, which is harmless (claims deduplicate) and un-sticks a job
   * whose send was lost; on a running job it withdraws a pending pause.
   */
  async resume(jobId: string, caller: Caller): Promise<JobRecord> {
    let resend: JobRecord | undefined;
    const job = await this.#mutate(jobId, caller, (current, now) => {
      resend = undefined;
      if (current.status === 'RUNNING' && current.pause_requested === true) {
        return {
          expect: { version: current.version },
          set: { updated_at: iso(now) },
          unset: ['pause_requested'],
        };
      }
      if (current.status === 'QUEUED' || current.status === 'RETRY_WAITING') {
        resend = current;
        return undefined;
      }
      if (current.status !== 'PAUSED') {
        throw new InvalidTransitionError(
          jobId,
          'resume',
          current.status,
          'Only a paused job can be resumed.',
        );
      }
      return this.#requeue(current, now, 'job.resumed', { stage: current.stage });
    });
    if (resend !== undefined) await this.#send(resend);
    else if (job.status === 'QUEUED') await this.#send(job);
    return job;
  }

  /** Re-runs a failed, aborted or finished job from its last stage (or a chosen one). */
  async replay(jobId: string, caller: Caller, input: ReplayRequest = {}): Promise<JobRecord> {
    const req = parseInput(ReplayRequestSchema, input, 'replay request');
    const before = await this.get(jobId, caller);
    const pipeline = this.#o.topology.pipelines.get(before.pipeline);
    const from = req.from_stage ?? before.stage;
    if (pipeline !== undefined) {
      await this.#checkParams(
        pipeline.name,
        findStage(pipeline, from),
        { ...before.params, ...req.params },
        'cannot replay from',
      );
    }
    const job = await this.#mutate(jobId, caller, (current, now) => {
      if (!isTerminal(current.status)) {
        throw new InvalidTransitionError(
          jobId,
          'replay',
          current.status,
          'Abort it first, or wait for it to finish.',
        );
      }
      const pipeline = this.#o.topology.pipelines.get(current.pipeline);
      const from = req.from_stage ?? current.stage;
      if (pipeline === undefined || findStage(pipeline, from) === undefined) {
        throw new ValidationError(`Stage '${from}' is not in pipeline '${current.pipeline}'.`, {
          code: 'UNKNOWN_STAGE',
        });
      }
      if (stageIndex(pipeline, from) > stageIndex(pipeline, current.exit_stage)) {
        throw new ValidationError(
          `Stage '${from}' comes after the job's exit_stage '${current.exit_stage}'.`,
          {
            code: 'BAD_RANGE',
          },
        );
      }
      const entry =
        stageIndex(pipeline, from) < stageIndex(pipeline, current.entry_stage) ? from : current.entry_stage;
      return this.#requeue(
        { ...current, stage: from, entry_stage: entry, params: { ...current.params, ...req.params } },
        now,
        'job.replayed',
        { from_stage: from, overridden: Object.keys(req.params ?? {}) },
      );
    });
    await this.#send(job);
    return job;
  }

  // -------------------------------------------------------------------------------------------
  // Holds.
  // -------------------------------------------------------------------------------------------

  async setHold(caller: Caller, input: HoldRequest): Promise<Hold> {
    const req = parseInput(HoldRequestSchema, input, 'hold request');
    const now = this.#clock.now();
    const hold: Hold = {
      hold_id: randomUUID(),
      tenant_id: caller.tenantId,
      selector: req.selector,
      until: iso(now + req.ttl_s * 1000),
      created_at: iso(now),
      ...(req.reason === undefined ? {} : { reason: req.reason }),
    };
    await this.#o.backend.store.putHold(hold);
    this.#o.holds?.invalidate();
    return hold;
  }

  async listHolds(caller: Caller): Promise<readonly Hold[]> {
    return (await this.#o.backend.store.listHolds()).filter((h) => h.tenant_id === caller.tenantId);
  }

  /** Removes a hold and sends the jobs it parked on their way; returns how many were released. */
  async clearHold(caller: Caller, holdId: string): Promise<number> {
    const hold = (await this.#o.backend.store.listHolds()).find((h) => h.hold_id === holdId);
    if (hold === undefined || hold.tenant_id !== caller.tenantId) {
      throw new ValidationError(`Hold '${holdId}' was not found.`, { code: 'HOLD_NOT_FOUND' });
    }
    await this.#o.backend.store.deleteHold(holdId);
    this.#o.holds?.invalidate();
    return this.#release(hold);
  }

  /** Clears every expired hold (run periodically by the worker pool or a scheduled function). */
  async releaseExpiredHolds(): Promise<number> {
    const now = this.#clock.now();
    let released = 0;
    for (const hold of await this.#o.backend.store.listHolds()) {
      if (Date.parse(hold.until) > now) continue;
      await this.#o.backend.store.deleteHold(hold.hold_id);
      released += await this.#release(hold);
    }
    if (released > 0) this.#o.holds?.invalidate();
    return released;
  }

  async #release(hold: Hold): Promise<number> {
    let released = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#o.backend.store.listJobs({
        tenant_id: hold.tenant_id,
        status: 'HELD',
        limit: 100,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const held of page.items.filter((job) => job.held_by === hold.hold_id)) {
        const job = await this.#mutate(held.job_id, { tenantId: hold.tenant_id }, (current, now) =>
          current.status === 'HELD' && current.held_by === hold.hold_id
            ? this.#requeue(current, now, 'job.resumed', { hold_id: hold.hold_id, reason: 'hold released' })
            : undefined,
        );
        if (job.status === 'QUEUED') {
          await this.#send(job);
          released += 1;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return released;
  }

  /** Polls until the job reaches one of `statuses` (default: a terminal one). */
  async waitFor(
    jobId: string,
    caller: Caller,
    options: { readonly timeoutMs?: number; readonly statuses?: readonly JobStatus[] } = {},
  ): Promise<JobRecord> {
    const statuses = options.statuses ?? TERMINAL_STATUSES;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    for (;;) {
      const job = await this.get(jobId, caller);
      if (statuses.includes(job.status)) return job;
      if (Date.now() >= deadline) throw new WaitTimeoutError(jobId, job.status, timeoutMs);
      await sleep(delay);
      delay = Math.min(100, delay * 2);
    }
  }

  // -------------------------------------------------------------------------------------------

  /** Refuses params the stage's own schemas refuse, naming every problem (400 over HTTP). */
  async #checkParams(
    pipeline: string,
    stage: Stage | undefined,
    params: Readonly<Record<string, unknown>>,
    verb: string,
  ): Promise<void> {
    if (stage === undefined) return;
    const { missing, invalid } = await checkInputs(stage, params);
    if (missing.length === 0 && invalid.length === 0) return;
    const parts = [
      ...(missing.length > 0
        ? [`missing required param${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`]
        : []),
      ...invalid,
    ];
    throw new ValidationError(`Pipeline '${pipeline}' ${verb} stage '${stage.name}': ${parts.join('; ')}.`, {
      code: 'INVALID_PARAMS',
      context: { details: { stage: stage.name, missing, invalid } },
    });
  }

  /** The transition back to QUEUED that resume, replay and hold release share (hop + 1). */
  #requeue(job: JobRecord, now: number, type: JobEvent['type'], data: Record<string, unknown>): JobChange {
    return {
      expect: { version: job.version },
      set: {
        status: 'QUEUED',
        stage: job.stage,
        entry_stage: job.entry_stage,
        params: job.params,
        hop: job.hop + 1,
        retry_count: 0,
        updated_at: iso(now),
      },
      // A requeued job starts clean: no lease, control flags, error, progress or expiry.
      unset: UNSETTABLE_FIELDS,
      events: [this.#event(type, { ...job, hop: job.hop + 1 }, data, 'QUEUED')],
    };
  }

  /** Read-modify-write with optimistic concurrency; `decide` returns undefined for "no change". */
  async #mutate(
    jobId: string,
    caller: Caller,
    decide: (job: JobRecord, now: number) => JobChange | undefined,
  ): Promise<JobRecord> {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const job = await this.get(jobId, caller);
      const change = decide(job, this.#clock.now());
      if (change === undefined) return job;
      const result = await this.#o.backend.store.transition(jobId, change);
      if (result.ok) {
        if (change.events !== undefined) await this.#publish(change.events);
        return applyChange(job, change);
      }
    }
    throw new StagecoachError(
      'CONFLICT',
      `Job '${jobId}' kept changing while it was being updated; try again.`,
      true,
    );
  }

  async #send(job: JobRecord): Promise<void> {
    const pipeline = this.#o.topology.pipelines.get(job.pipeline);
    const body = serializeEnvelope(envelopeOf(job), pipeline?.contractLimitBytes);
    const due = job.retry_at === undefined ? 0 : Math.max(0, Date.parse(job.retry_at) - this.#clock.now());
    await this.#o.backend.queue.send(this.#o.topology.queueFor(job.pipeline, job.stage, job.priority), [
      { body, delayMs: Math.min(due, MAX_DELAY_MS) },
    ]);
  }

  #event(
    type: JobEvent['type'],
    job: JobRecord,
    data: Record<string, unknown>,
    status?: JobStatus,
  ): JobEvent {
    return this.#events.make(type, job, {
      stage: job.stage,
      status: status ?? job.status,
      hop: job.hop,
      data,
    });
  }

  async #publish(events: readonly JobEvent[]): Promise<void> {
    try {
      await this.#o.backend.events.publish(events);
    } catch (error) {
      this.#log.warn('publishing events failed', { error });
    }
  }

  #expiry(now: number): number {
    return Math.floor(now / 1000) + (this.#o.retentionS ?? 90 * 86_400);
  }

  #iso(): string {
    return iso(this.#clock.now());
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
