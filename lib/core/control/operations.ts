import { attemptsOf } from '../engine/history.js';
import type { Topology } from '../engine/topology.js';
import type { Backend } from '../ports/backend.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { NotFoundError, ValidationError } from '../ports/errors.js';
import type { DeadLetterRecord, JobRecord, JobStatus } from '../ports/job.js';
import type { QueueDepth } from '../ports/job-queue.js';
import type { Caller } from './job-requests.js';
import type { JobService } from './jobs.js';

/**
 * What the console's Operations page (and `GET /queues`, `GET /dead-letters`) shows: per stage, the
 * depth of its queues, the caller's jobs waiting or running there, its throughput, and the
 * caller's dead letters, which can be redriven.
 *
 * Scope. Queue depths are deployment-wide: a queue holds every tenant's messages, and SQS counts
 * them together. A tenant sees those counts (numbers only: no job id, param or tag of anyone) —
 * the load a shared service is under, as a status page would show it. Everything else is the
 * caller's own: its jobs per status and stage, its throughput, its dead letters.
 */

/** Statuses of a job that still occupies a stage. */
const ACTIVE: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'RETRY_WAITING', 'PAUSED', 'HELD'];
/** How many jobs per status are counted, and how many recent jobs throughput is measured on. */
const COUNT_CAP = 1_000;
const THROUGHPUT_JOBS = 200;
/** Dead-letter records read before the tenant filter (the store lists every tenant's). */
const DEAD_LETTER_SCAN = 1_000;

export interface DepthView {
  readonly queue: string;
  readonly visible: number;
  readonly in_flight: number;
  readonly delayed: number;
  /** Seconds; absent where the backend cannot tell (SQS). */
  readonly oldest_age_s?: number;
}

export interface StageOperations {
  readonly pipeline: string;
  readonly stage: string;
  readonly compute: string;
  /** Lowest priority first. */
  readonly lanes: readonly (DepthView & { readonly lane: number })[];
  readonly dead_letter_queue: DepthView;
  /** The caller's jobs at this stage, by status (active statuses only). */
  readonly jobs: Readonly<Partial<Record<JobStatus, number>>>;
  /** The caller's dead letters of this stage. */
  readonly dead_letters: number;
  /** Stage attempts of the caller's jobs that completed, per minute, oldest minute first. */
  readonly throughput: { readonly per_minute: readonly number[]; readonly total: number };
}

export interface QueuesOverview {
  readonly generated_at: string;
  readonly window_minutes: number;
  readonly stages: readonly StageOperations[];
  /** What each number counts, for whoever reads the answer. */
  readonly scope: {
    readonly depths: 'deployment';
    readonly jobs: 'tenant';
    readonly throughput: string;
  };
  /** True when a count reached its cap ({@link COUNT_CAP} jobs per status). */
  readonly truncated: boolean;
}

export interface DeadLetterView {
  readonly dead_letter_id: string;
  readonly queue: string;
  readonly pipeline?: string;
  readonly stage?: string;
  readonly job_id?: string;
  readonly code: string;
  readonly reason: string;
  readonly received_at: string;
  /** The job's status now (a redriven job is no longer FAILED). */
  readonly job_status?: JobStatus;
}

export interface OperationsOptions {
  readonly backend: Pick<Backend, 'queue' | 'store'>;
  readonly topology: Topology;
  readonly jobs: JobService;
  readonly clock?: Clock;
}

export class OperationsService {
  readonly #o: OperationsOptions;
  readonly #clock: Clock;

  constructor(options: OperationsOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  async queues(caller: Caller, options: { readonly windowMinutes?: number } = {}): Promise<QueuesOverview> {
    const window = options.windowMinutes ?? 15;
    const now = this.#clock.now();
    const [active, recent, letters] = await Promise.all([
      this.#activeJobs(caller),
      this.#o.backend.store.listJobs({ tenant_id: caller.tenantId, limit: THROUGHPUT_JOBS }),
      this.#letters(caller),
    ]);
    const throughput = await this.#throughput([...active.jobs, ...recent.items], now, window);
    const stages = await Promise.all(
      this.#o.topology.all().map(async (queues): Promise<StageOperations> => {
        const key = `${queues.pipeline}/${queues.stage}`;
        const [lanes, dlq] = await Promise.all([
          Promise.all(queues.lanes.map(async (queue) => this.#depth(queue))),
          this.#depth(queues.dlq),
        ]);
        const jobs: Partial<Record<JobStatus, number>> = {};
        for (const job of active.jobs) {
          if (`${job.pipeline}/${job.stage}` === key) jobs[job.status] = (jobs[job.status] ?? 0) + 1;
        }
        const perMinute = throughput.get(key) ?? new Array<number>(window).fill(0);
        const stage = this.#o.topology.pipelines
          .get(queues.pipeline)
          ?.stages.find((s) => s.name === queues.stage);
        return {
          pipeline: queues.pipeline,
          stage: queues.stage,
          compute: stage?.compute.kind ?? 'lambda',
          lanes: lanes.map((depth, lane) => ({ lane, ...depth })),
          dead_letter_queue: dlq,
          jobs,
          dead_letters: letters.filter((l) => l.pipeline === queues.pipeline && l.stage === queues.stage)
            .length,
          throughput: { per_minute: perMinute, total: perMinute.reduce((a, b) => a + b, 0) },
        };
      }),
    );
    return {
      generated_at: new Date(now).toISOString(),
      window_minutes: window,
      stages,
      scope: {
        depths: 'deployment',
        jobs: 'tenant',
        throughput: `completed stage attempts of your jobs (the ${THROUGHPUT_JOBS} most recent and every active one), per minute over the last ${window} minutes`,
      },
      truncated: active.truncated,
    };
  }

  /** The caller's dead letters, newest first, each with its job's current status. */
  async deadLetters(caller: Caller, options: { readonly limit?: number } = {}): Promise<DeadLetterView[]> {
    const letters = (await this.#letters(caller))
      .sort((a, b) => b.received_at.localeCompare(a.received_at))
      .slice(0, options.limit ?? 100);
    return Promise.all(
      letters.map(async (letter) => {
        const job =
          letter.job_id === undefined
            ? undefined
            : await this.#o.backend.store.getJob(caller.tenantId, letter.job_id);
        const { body: _body, tenant_id: _tenant, ...view } = letter;
        return job === undefined ? view : { ...view, job_status: job.status };
      }),
    );
  }

  /**
   * Redrives a dead letter: its job is replayed from the letter's stage (replay semantics: a new
   * hop, params as the job last had them), so the JobService's own checks apply — a job that is
   * not finished is a 409, exactly as a replay would be. Another tenant's letter is not found.
   */
  async redrive(caller: Caller, deadLetterId: string): Promise<{ dead_letter_id: string; job: JobRecord }> {
    const letter = await this.#o.backend.store.getDeadLetter(caller.tenantId, deadLetterId);
    if (letter === undefined) throw new NotFoundError(`Dead letter '${deadLetterId}' was not found.`);
    if (letter.job_id === undefined) {
      throw new ValidationError(
        `Dead letter '${deadLetterId}' names no job, so there is nothing to replay.`,
        {
          code: 'NOT_REDRIVABLE',
        },
      );
    }
    const job = await this.#o.jobs.replay(
      letter.job_id,
      caller,
      letter.stage === undefined ? {} : { from_stage: letter.stage },
    );
    return { dead_letter_id: deadLetterId, job };
  }

  // -------------------------------------------------------------------------------------------

  async #depth(queue: string): Promise<DepthView> {
    const depth: QueueDepth = await this.#o.backend.queue.depth(queue);
    return {
      queue,
      visible: depth.visible,
      in_flight: depth.inFlight,
      delayed: depth.delayed,
      ...(depth.oldestAgeMs === undefined ? {} : { oldest_age_s: Math.round(depth.oldestAgeMs / 1000) }),
    };
  }

  async #letters(caller: Caller): Promise<DeadLetterRecord[]> {
    const page = await this.#o.backend.store.listDeadLetters({
      tenant_id: caller.tenantId,
      limit: DEAD_LETTER_SCAN,
    });
    return [...page.items];
  }

  /** The caller's jobs in an active status, up to {@link COUNT_CAP} per status. */
  async #activeJobs(caller: Caller): Promise<{ jobs: JobRecord[]; truncated: boolean }> {
    let truncated = false;
    const pages = await Promise.all(
      ACTIVE.map(async (status) => {
        const jobs: JobRecord[] = [];
        let cursor: string | undefined;
        do {
          const page = await this.#o.backend.store.listJobs({
            tenant_id: caller.tenantId,
            status,
            limit: 200,
            ...(cursor === undefined ? {} : { cursor }),
          });
          jobs.push(...page.items);
          cursor = page.cursor;
        } while (cursor !== undefined && jobs.length < COUNT_CAP);
        if (cursor !== undefined) truncated = true;
        return jobs;
      }),
    );
    return { jobs: pages.flat(), truncated };
  }

  /**
   * Completed attempts per stage and minute. A job not updated since the window began cannot have
   * an attempt that ended in it (every attempt's end updates the job), so only the others are read.
   */
  async #throughput(jobs: readonly JobRecord[], now: number, window: number): Promise<Map<string, number[]>> {
    const start = now - window * 60_000;
    const seen = new Set<string>();
    const candidates = jobs.filter((job) => {
      if (seen.has(job.job_id) || Date.parse(job.updated_at) < start) return false;
      seen.add(job.job_id);
      return true;
    });
    const out = new Map<string, number[]>();
    // A job's attempts are part of its record: nothing more to read.
    for (const job of candidates) {
      for (const attempt of attemptsOf(job)) {
        const ended = Date.parse(attempt.ended_at);
        if (attempt.outcome !== 'completed' || ended < start || ended > now) continue;
        const key = `${job.pipeline}/${attempt.stage}`;
        const buckets = out.get(key) ?? new Array<number>(window).fill(0);
        const minute = Math.min(window - 1, Math.floor((ended - start) / 60_000));
        buckets[minute] = (buckets[minute] ?? 0) + 1;
        out.set(key, buckets);
      }
    }
    return out;
  }
}
