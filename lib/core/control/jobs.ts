import { createHash, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { attemptsOf, createdEvent, eventsOf, markEvent } from '../engine/history.js';
import type { HoldCache } from '../engine/holds.js';
import { EventPolicy } from '../engine/publishing.js';
import { shapeOf } from '../engine/runner-kit.js';
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
  isTerminal,
  type JobChange,
  type JobEvent,
  type JobQuery,
  type JobRecord,
  type JobStatus,
  type MarkEntry,
  type Page,
  type StatusCounts,
  TERMINAL_STATUSES,
  UNSETTABLE_FIELDS,
} from '../ports/job.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { checkInputs, describePipeline, type PipelineDescription } from '../sdk/describe.js';
import { findStage, type Pipeline, stageIndex } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';
import { HoldControl } from './holds.js';
import {
  type Caller,
  type HoldRequest,
  type ReplayRequest,
  ReplayRequestSchema,
  type SubmitRequest,
  SubmitRequestSchema,
  WaitTimeoutError,
} from './job-requests.js';
import { type LimitsConfig, SubmitLimiter } from './limits.js';
import { Reconciler, type ReconcilerOptions } from './reconciler.js';

export interface JobServiceOptions {
  readonly backend: Pick<Backend, 'queue' | 'store' | 'events'>;
  readonly topology: Topology;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Invalidated when holds change, so in-process runners see them at once. */
  readonly holds?: HoldCache;
  /** Which events go to the bus (shared with the process's runners). */
  readonly events?: EventPolicy;
  /** How long finished jobs are kept (store TTL). @default 90 days */
  readonly retentionS?: number;
  /** The reconciler's knobs. */
  readonly reconcile?: ReconcilerOptions;
  /** Per-tenant limits (submit rate). @default none */
  readonly limits?: LimitsConfig;
}

function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(`Invalid ${what}: ${formatIssues(parsed.error)}.`, { code: 'BAD_REQUEST' });
  }
  return parsed.data;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A stable digest of what a submit asked for, to tell a repeated submit from a different one. */
function digestOf(request: Readonly<Record<string, unknown>>): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('base64url')
    .slice(0, 22);
}

/** The numeric offset a derived listing's cursor carries; a bad one is the caller's mistake. */
function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,9}$/.test(cursor)) {
    throw new ValidationError(`The cursor '${cursor.slice(0, 40)}' is not one this API gave out.`, {
      code: 'BAD_CURSOR',
    });
  }
  return Number(cursor);
}

/**
 * Creates jobs and controls them: the backend's API, shared by the HTTP handlers, the CLI and tests.
 *
 * Every action that puts a job back on a queue (submit, resume, replay, a hold's release) sends the
 * message first and writes the job after. A crash or a failed write in between leaves an orphan
 * message — which the runner drops once it is clearly not going to match its job — and never a job
 * whose state promises a message that does not exist. The caller sees the failure and may retry.
 */
export class JobService {
  readonly #o: JobServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventPolicy;
  readonly #limiter: SubmitLimiter;
  readonly holdControl: HoldControl;
  readonly reconciler: Reconciler;

  constructor(options: JobServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'jobs' });
    this.#events = options.events ?? new EventPolicy({ store: options.backend.store, clock: this.#clock });
    this.#limiter = new SubmitLimiter(options.backend.store, this.#clock, options.limits);
    this.holdControl = new HoldControl({
      store: options.backend.store,
      clock: this.#clock,
      logger: this.#log,
      ...(options.holds === undefined ? {} : { holds: options.holds }),
      release: (job, mark, holdId) =>
        this.#requeueTo(job, job.stage, job.params, job.entry_stage, mark, false, holdId),
    });
    this.reconciler = new Reconciler(
      {
        store: options.backend.store,
        queue: options.backend.queue,
        topology: options.topology,
        clock: this.#clock,
        logger: this.#log.child({ component: 'reconciler' }),
        release: (job, mark) => this.#requeueTo(job, job.stage, job.params, job.entry_stage, mark),
      },
      options.reconcile,
    );
  }

  /** The pipelines this deployment runs, with each stage's inputs as JSON Schema. */
  pipelines(): readonly PipelineDescription[] {
    return [...this.#o.topology.pipelines.values()].map(describePipeline);
  }

  async submit(input: SubmitRequest, caller: Caller): Promise<JobRecord> {
    return (await this.submitted(input, caller)).job;
  }

  /** Submits a job; `created` is false when the job existed already (an idempotent repeat). */
  async submitted(input: SubmitRequest, caller: Caller): Promise<{ job: JobRecord; created: boolean }> {
    const req = parseInput(SubmitRequestSchema, input, 'job request');
    const pipeline = this.#pipeline(req.pipeline);
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
    const digest = digestOf({
      pipeline: pipeline.name,
      params: req.params,
      entry_stage: entry,
      exit_stage: exit,
      priority: req.priority,
      tags: req.tags,
    });
    if (req.job_id !== undefined) {
      const existing = await this.#o.backend.store.getJob(caller.tenantId, req.job_id);
      if (existing !== undefined) {
        const repeated = this.#repeated(existing, req, digest, entry, exit);
        // A repeat may follow an answer that was lost with the job's event: publish it again.
        await this.#published(repeated, [createdEvent(repeated)], 'submitted');
        return { job: repeated, created: false };
      }
    }
    await this.#limiter.take(caller.tenantId);
    const now = this.#clock.now();
    const jobId = req.job_id ?? randomUUID();
    const envelope: JobEnvelope = {
      job_id: jobId,
      pipeline: pipeline.name,
      entry_stage: entry,
      exit_stage: exit,
      stage: entry,
      hop: 0,
      stage_hop: 0,
      retry_count: 0,
      priority: req.priority,
      tenant_id: caller.tenantId,
      params: req.params,
      tags: req.tags,
      created_at: iso(now),
      trace_id: req.trace_id ?? jobId,
    };
    const body = serializeEnvelope(envelope, pipeline.contractLimitBytes);
    const job: JobRecord = {
      ...envelope,
      status: 'QUEUED',
      updated_at: iso(now),
      version: 1,
      stage_hop: 0,
      history: [],
      submit_digest: digest,
      expires_at: this.#expiry(now),
    };
    // The message first: if the create then fails, it is an orphan the runner drops.
    await this.#o.backend.queue.send(this.#o.topology.queueFor(pipeline.name, entry, req.priority), [
      { body, group: caller.tenantId },
    ]);
    try {
      await this.#o.backend.store.createJob(job);
    } catch (error) {
      if (!(error instanceof JobExistsError)) throw error;
      // A concurrent submit of the same id won: this one is a repeat of it (or a conflict).
      const existing = await this.#o.backend.store.getJob(caller.tenantId, jobId);
      if (existing === undefined) throw error;
      const repeated = this.#repeated(existing, req, digest, entry, exit);
      await this.#published(repeated, [createdEvent(repeated)], 'submitted');
      return { job: repeated, created: false };
    }
    await this.#published(job, eventsOf(job, shapeOf(pipeline)), 'submitted');
    this.#log.info('job submitted', {
      job_id: jobId,
      pipeline: pipeline.name,
      entry_stage: entry,
      tenant_id: caller.tenantId,
    });
    return { job, created: true };
  }

  /** A submit of an id the tenant already used: the same request gets the job; another is a conflict. */
  #repeated(
    existing: JobRecord,
    req: z.output<typeof SubmitRequestSchema>,
    digest: string,
    entry: string,
    exit: string,
  ): JobRecord {
    if (existing.submit_digest === undefined || existing.submit_digest === digest) return existing;
    const differences: string[] = [];
    if (existing.pipeline !== req.pipeline) differences.push(`pipeline ('${existing.pipeline}' before)`);
    if (existing.entry_stage !== entry) differences.push('entry_stage');
    if (existing.exit_stage !== exit) differences.push('exit_stage');
    if (existing.priority !== req.priority) differences.push('priority');
    if (JSON.stringify(existing.tags) !== JSON.stringify(req.tags)) differences.push('tags');
    const params = Object.keys({ ...req.params }).filter(
      (key) => JSON.stringify(existing.params[key]) !== JSON.stringify(req.params[key]),
    );
    if (params.length > 0) differences.push(`params ${params.join(', ')}`);
    throw new StagecoachError(
      'JOB_EXISTS',
      `Job '${existing.job_id}' was already submitted with a different request (${differences.join('; ') || 'params'} differ${differences.length === 1 ? 's' : ''}). Submit it under a new job_id, or repeat the first request exactly.`,
      false,
      { context: { jobId: existing.job_id, details: { differences } } },
    );
  }

  async get(jobId: string, caller: Caller): Promise<JobRecord> {
    const job = await this.#o.backend.store.getJob(caller.tenantId, jobId);
    if (job === undefined) throw new JobNotFoundError(jobId);
    return job;
  }

  async list(caller: Caller, query: Omit<JobQuery, 'tenant_id'> = {}): Promise<Page<JobRecord>> {
    return this.#o.backend.store.listJobs({ ...query, tenant_id: caller.tenantId });
  }

  /** How many of the tenant's jobs are in each status (finished ones: those that finished since `since`). */
  async counts(
    caller: Caller,
    query: { readonly pipeline?: string; readonly since?: string } = {},
  ): Promise<{ readonly since: string; readonly counts: StatusCounts }> {
    const since = query.since ?? iso(this.#clock.now() - 86_400_000);
    return {
      since,
      counts: await this.#o.backend.store.countJobs({
        tenant_id: caller.tenantId,
        since,
        ...(query.pipeline === undefined ? {} : { pipeline: query.pipeline }),
      }),
    };
  }

  /** The job's durable event log, derived from its record (page by page). */
  async events(
    jobId: string,
    caller: Caller,
    query: { cursor?: string; limit?: number } = {},
  ): Promise<Page<JobEvent>> {
    const job = await this.get(jobId, caller);
    const pipeline = this.#o.topology.pipelines.get(job.pipeline);
    const all = eventsOf(job, pipeline === undefined ? {} : shapeOf(pipeline));
    const start = offsetOf(query.cursor);
    const size = Math.min(1_000, Math.max(1, query.limit ?? 100));
    const items = all.slice(start, start + size);
    const end = start + items.length;
    return end < all.length ? { items, cursor: String(end) } : { items };
  }

  async attempts(jobId: string, caller: Caller): Promise<readonly AttemptRecord[]> {
    return attemptsOf(await this.get(jobId, caller));
  }

  /** Aborts a job: at once when it is waiting; through its AbortSignal when it is running. */
  async abort(jobId: string, caller: Caller, reason = 'aborted by request'): Promise<JobRecord> {
    return this.#mutate(jobId, caller, 'job.aborted', (job, now) => {
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
        append: [this.#mark(job, 'job.aborted', 'ABORTED', now, { reason })],
      };
    });
  }

  /** Pauses a job: a running stage is stopped (and re-run on resume); a waiting job parks. */
  async pause(jobId: string, caller: Caller): Promise<JobRecord> {
    return this.#mutate(jobId, caller, 'job.paused', (job, now) => {
      if (job.status === 'PAUSED' || job.pause_requested === true) return undefined;
      if (isTerminal(job.status)) {
        throw new InvalidTransitionError(jobId, 'pause', job.status, 'It has already finished.');
      }
      if (job.status === 'RUNNING' && (job.lease?.expires_at ?? 0) > now) {
        return { expect: { version: job.version }, set: { pause_requested: true, updated_at: iso(now) } };
      }
      return {
        expect: { version: job.version },
        set: { status: 'PAUSED', updated_at: iso(now) },
        unset: ['held_by', 'lease'],
        append: [this.#mark(job, 'job.paused', 'PAUSED', now, { before_stage: job.stage })],
      };
    });
  }

  /**
   * Resumes a paused job at the stage it stopped before or in; on a running job it withdraws a
   * pending pause; on a job already waiting in a queue it changes nothing.
   */
  async resume(jobId: string, caller: Caller): Promise<JobRecord> {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const job = await this.get(jobId, caller);
      if (job.status === 'QUEUED' || job.status === 'RETRY_WAITING') {
        await this.#republish(job, 'job.resumed');
        return job;
      }
      if (job.status === 'RUNNING' && job.pause_requested === true) {
        const result = await this.#o.backend.store.transition(caller.tenantId, jobId, {
          expect: { version: job.version },
          set: { updated_at: iso(this.#clock.now()) },
          unset: ['pause_requested'],
        });
        if (result.ok) return result.job;
        continue;
      }
      if (job.status !== 'PAUSED') {
        throw new InvalidTransitionError(jobId, 'resume', job.status, 'Only a paused job can be resumed.');
      }
      const resumed = await this.#requeueTo(
        job,
        job.stage,
        job.params,
        job.entry_stage,
        this.#mark({ ...job, hop: job.hop + 1 }, 'job.resumed', 'QUEUED', this.#clock.now(), {
          stage: job.stage,
        }),
      );
      if (resumed !== undefined) return resumed;
    }
    throw this.#conflict(jobId);
  }

  /** Re-runs a failed, aborted or finished job from its last stage (or a chosen one). */
  async replay(jobId: string, caller: Caller, input: ReplayRequest = {}): Promise<JobRecord> {
    const req = parseInput(ReplayRequestSchema, input, 'replay request');
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const job = await this.get(jobId, caller);
      if (!isTerminal(job.status)) {
        throw new InvalidTransitionError(
          jobId,
          'replay',
          job.status,
          'Abort it first, or wait for it to finish.',
        );
      }
      const pipeline = this.#o.topology.pipelines.get(job.pipeline);
      const from = req.from_stage ?? job.stage;
      if (pipeline === undefined || findStage(pipeline, from) === undefined) {
        const stages = pipeline?.stages.map((s) => s.name).join(', ');
        throw new ValidationError(
          `Stage '${from}' is not in pipeline '${job.pipeline}'${stages === undefined ? '' : ` (stages: ${stages})`}.`,
          { code: 'UNKNOWN_STAGE' },
        );
      }
      if (stageIndex(pipeline, from) > stageIndex(pipeline, job.exit_stage)) {
        throw new ValidationError(`Stage '${from}' comes after the job's exit_stage '${job.exit_stage}'.`, {
          code: 'BAD_RANGE',
        });
      }
      const params = { ...job.params, ...req.params };
      await this.#checkParams(pipeline.name, findStage(pipeline, from), params, 'cannot replay from');
      const entry =
        stageIndex(pipeline, from) < stageIndex(pipeline, job.entry_stage) ? from : job.entry_stage;
      const replayed = await this.#requeueTo(
        job,
        from,
        params,
        entry,
        this.#mark({ ...job, stage: from, hop: job.hop + 1 }, 'job.replayed', 'QUEUED', this.#clock.now(), {
          from_stage: from,
          overridden: Object.keys(req.params ?? {}),
        }),
        true,
      );
      if (replayed !== undefined) return replayed;
    }
    throw this.#conflict(jobId);
  }

  // -------------------------------------------------------------------------------------------
  // Holds (control/holds.ts does the work).
  // -------------------------------------------------------------------------------------------

  setHold(caller: Caller, input: HoldRequest) {
    return this.holdControl.set(caller, input);
  }

  listHolds(caller: Caller) {
    return this.holdControl.list(caller);
  }

  /** Releases a hold's jobs and removes it; returns how many jobs were released. */
  clearHold(caller: Caller, holdId: string): Promise<number> {
    return this.holdControl.clear(caller, holdId, (query) => this.#o.backend.store.listJobs(query));
  }

  /** Releases the jobs of holds that have expired (and finishes releases that were interrupted). */
  releaseExpiredHolds(): Promise<number> {
    return this.holdControl.releaseExpired((query) => this.#o.backend.store.listJobs(query));
  }

  /** Polls until the job reaches one of `statuses` (default: a terminal one). */
  async waitFor(
    jobId: string,
    caller: Caller,
    options: { readonly timeoutMs?: number; readonly statuses?: readonly JobStatus[] } = {},
  ): Promise<JobRecord> {
    const statuses = options.statuses ?? TERMINAL_STATUSES;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = this.#clock.now() + timeoutMs;
    let delay = 5;
    for (;;) {
      const job = await this.get(jobId, caller);
      if (statuses.includes(job.status)) return job;
      if (this.#clock.now() >= deadline) throw new WaitTimeoutError(jobId, job.status, timeoutMs);
      await sleep(delay);
      delay = Math.min(100, delay * 2);
    }
  }

  // -------------------------------------------------------------------------------------------

  #pipeline(name: string): Pipeline {
    const pipeline = this.#o.topology.pipelines.get(name);
    if (pipeline === undefined) {
      throw new ValidationError(
        `Unknown pipeline '${name}'. Known pipelines: ${[...this.#o.topology.pipelines.keys()].join(', ')}.`,
        { code: 'UNKNOWN_PIPELINE' },
      );
    }
    return pipeline;
  }

  /**
   * Puts the job back on a queue at `stage` (hop + 1): the message first, then the conditional write
   * of the new state. Undefined when the job changed meanwhile (the message is then an orphan).
   */
  async #requeueTo(
    job: JobRecord,
    stage: string,
    params: Readonly<Record<string, unknown>>,
    entryStage: string,
    mark: MarkEntry,
    newStage = false,
    holdId?: string,
  ): Promise<JobRecord | undefined> {
    const now = this.#clock.now();
    const hop = job.hop + 1;
    const next: JobRecord = {
      ...job,
      stage,
      params,
      entry_stage: entryStage,
      hop,
      retry_count: 0,
      stage_hop: newStage ? hop : job.stage_hop,
    };
    const change: JobChange = {
      expect: { version: job.version },
      set: {
        status: 'QUEUED',
        stage,
        entry_stage: entryStage,
        params,
        hop,
        retry_count: 0,
        stage_hop: next.stage_hop,
        updated_at: iso(now),
        expires_at: this.#expiry(now),
      },
      // A requeued job starts clean: no lease, control flags, error, progress or end.
      unset: UNSETTABLE_FIELDS.filter((field) => field !== 'expires_at'),
      append: [mark],
    };
    const pipeline = this.#o.topology.pipelines.get(job.pipeline);
    const { retry_at: _stale, ...clean } = next;
    await this.#o.backend.queue.send(this.#o.topology.queueFor(job.pipeline, stage, job.priority), [
      { body: serializeEnvelope(envelopeOf(clean), pipeline?.contractLimitBytes), group: job.tenant_id },
    ]);
    const store = this.#o.backend.store;
    const result =
      holdId === undefined
        ? await store.transition(job.tenant_id, job.job_id, change)
        : await store.releaseFromHold(job.tenant_id, job.job_id, change, holdId);
    if (!result.ok) return undefined;
    const events = [markEvent(result.job, mark)];
    if (holdId === undefined) await this.#published(result.job, events, mark.type.replace('job.', ''));
    // A hold's release goes on with its other jobs; the event is logged as not published.
    else await this.#events.publish(this.#o.backend.events, result.job, events, this.#log);
    return result.job;
  }

  /** Read-modify-write with optimistic concurrency; `decide` returns undefined for "no change". */
  async #mutate(
    jobId: string,
    caller: Caller,
    mark: MarkEntry['type'],
    decide: (job: JobRecord, now: number) => JobChange | undefined,
  ): Promise<JobRecord> {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const job = await this.get(jobId, caller);
      const change = decide(job, this.#clock.now());
      if (change === undefined) {
        await this.#republish(job, mark);
        return job;
      }
      const result = await this.#o.backend.store.transition(caller.tenantId, jobId, change);
      if (result.ok) {
        const marks = (change.append ?? []).filter((e): e is MarkEntry => e.kind === 'mark');
        await this.#published(
          result.job,
          marks.map((m) => markEvent(result.job, m)),
          mark.replace('job.', ''),
        );
        return applyChange(job, change);
      }
    }
    throw this.#conflict(jobId);
  }

  /**
   * Publishes a control action's events once its write has landed. The bus must take them: when
   * it does not, the caller gets a retryable error (503) — the action itself stands, and repeating
   * it (which changes nothing more) publishes the events again, with the same ids.
   */
  async #published(job: JobRecord, events: readonly JobEvent[], what: string): Promise<void> {
    if (await this.#events.publish(this.#o.backend.events, job, events, this.#log)) return;
    throw new StagecoachError(
      'BACKEND_UNAVAILABLE',
      `Job '${job.job_id}' was ${what}, but its event could not be published; repeat the request (it is safe) to publish it.`,
      true,
      { context: { jobId: job.job_id } },
    );
  }

  /** A repeated action that changes nothing: its last event (same id) goes out again. */
  async #republish(job: JobRecord, type: MarkEntry['type']): Promise<void> {
    const last = job.history.findLast((e): e is MarkEntry => e.kind === 'mark' && e.type === type);
    if (last !== undefined && last.hop === job.hop) {
      await this.#published(job, [markEvent(job, last)], type.replace('job.', ''));
    }
  }

  #conflict(jobId: string): StagecoachError {
    return new StagecoachError(
      'CONFLICT',
      `Job '${jobId}' kept changing while it was being updated; try again.`,
      true,
    );
  }

  #mark(
    job: Pick<JobRecord, 'stage' | 'hop'>,
    type: MarkEntry['type'],
    status: JobStatus,
    now: number,
    data: Record<string, unknown>,
  ): MarkEntry {
    return { kind: 'mark', type, stage: job.stage, hop: job.hop, status, at: now, data };
  }

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

  #expiry(now: number): number {
    return Math.floor(now / 1000) + (this.#o.retentionS ?? 90 * 86_400);
  }
}
