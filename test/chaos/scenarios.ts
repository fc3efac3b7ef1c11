import type { LimitsConfig } from '../../lib/core/control/index.js';
import { envelopeOf, type JobEvent, type JobStatus, serializeEnvelope } from '../../lib/core/ports/index.js';
import { TIMEOUTS, tenant, type World } from './world.js';

/**
 * What a client does to the system in one run: submits, control actions, duplicate deliveries.
 * Answers the states each job must end in once the system has healed.
 */
export interface Scenario {
  readonly name: string;
  /** Per-tenant limits the workers run with. @default none */
  readonly limits?: LimitsConfig;
  run(world: World): Promise<Map<string, readonly JobStatus[]>>;
}

/** How long a scenario waits for a step it needs before acting anyway (a fault may delay it). */
const STEP_BOUND_MS = 20 * TIMEOUTS.visibilityMs;

const submit = (world: World, jobId: string, params: Record<string, unknown> = {}, tags = {}) =>
  world.call('submit', (jobs) =>
    jobs.submit({ pipeline: 'chain', job_id: jobId, params: { item: jobId, ...params }, tags }, tenant),
  );

const status = async (world: World, jobId: string): Promise<JobStatus | undefined> =>
  (await world.job(jobId))?.status;

const started = (world: World, jobId: string, stage: string): boolean =>
  [...world.effects.keys()].some((k) => k.startsWith(`${jobId}:${stage}:`));

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'submit',
    async run(world) {
      await submit(world, 'job-1');
      return new Map([['job-1', ['DONE']]]);
    },
  },
  {
    name: 'concurrent submits of one job_id',
    async run(world) {
      await Promise.all([submit(world, 'job-1'), submit(world, 'job-1')]);
      return new Map([['job-1', ['DONE']]]);
    },
  },
  {
    name: 'duplicate delivery',
    async run(world) {
      const job = await submit(world, 'job-1');
      if (!(job instanceof Error)) {
        const queue = world.runtime.topology.queueFor('chain', 'a', 0);
        // A copy of the job's first message (the job may be further on by now).
        const first = { ...job, stage: 'a', hop: 0, stage_hop: 0, retry_count: 0, params: { item: 'job-1' } };
        await world.inner.queue.send(queue, [{ body: serializeEnvelope(envelopeOf(first)) }]);
      }
      return new Map([['job-1', ['DONE']]]);
    },
  },
  {
    name: 'abort while running',
    async run(world) {
      await submit(world, 'job-1', { slow_ms: 60_000 });
      await world.until(async () => (await status(world, 'job-1')) === 'RUNNING', STEP_BOUND_MS);
      await world.call('abort', (jobs) => jobs.abort('job-1', tenant, 'chaos'));
      return new Map([['job-1', ['ABORTED']]]);
    },
  },
  {
    name: 'pause and resume',
    async run(world) {
      await submit(world, 'job-1', { slow_ms: 4 * TIMEOUTS.heartbeatMs });
      await world.until(() => started(world, 'job-1', 'b'), STEP_BOUND_MS);
      await world.call('pause', (jobs) => jobs.pause('job-1', tenant));
      await world.until(async () => (await status(world, 'job-1')) === 'PAUSED', STEP_BOUND_MS);
      await world.call('resume', (jobs) => jobs.resume('job-1', tenant));
      return new Map([['job-1', ['DONE']]]);
    },
  },
  {
    name: 'replay',
    async run(world) {
      await submit(world, 'job-1');
      await world.until(async () => (await status(world, 'job-1')) === 'DONE', STEP_BOUND_MS);
      await world.call('replay', (jobs) => jobs.replay('job-1', tenant, { from_stage: 'b' }));
      return new Map([['job-1', ['DONE']]]);
    },
  },
  {
    // The second job waits (throttled, re-sent with a delay) while the first runs each stage; a
    // crash leaves the first's slot to lapse with its lease.
    name: 'two jobs, one running stage at a time',
    limits: { default: { runningPerStage: 1 } },
    async run(world) {
      await Promise.all([
        submit(world, 'job-1', { slow_ms: 4 * TIMEOUTS.heartbeatMs }),
        submit(world, 'job-2'),
      ]);
      return new Map([
        ['job-1', ['DONE']],
        ['job-2', ['DONE']],
      ]);
    },
  },
  {
    name: 'hold and release',
    async run(world) {
      await world.call('hold', (jobs) => jobs.setHold(tenant, { selector: { batch: 'h1' }, ttl_s: 600 }));
      await submit(world, 'job-1', {}, { batch: 'h1' });
      await world.until(async () => (await status(world, 'job-1')) === 'HELD', STEP_BOUND_MS);
      // As a person would: list the holds and clear each one on the batch (a retried create may
      // have made two).
      const holds = await world.call('list holds', (jobs) => jobs.listHolds(tenant));
      for (const hold of holds instanceof Error ? [] : holds) {
        await world.call('clear hold', (jobs) => jobs.clearHold(tenant, hold.hold_id));
      }
      return new Map([['job-1', ['DONE']]]);
    },
  },
];

/** What a run broke; every count is zero when the guarantees held. */
export interface Verdict {
  /** A job the client was told exists, or asked for until it was, that is not in the store. */
  lost: number;
  /** A stage completed twice at one hop, a terminal event twice for one run, an event id twice. */
  duplicated: number;
  /** A job not in its expected state, or a message left in a queue, once the bound has passed. */
  stuck: number;
  /** A dead letter (store record or DLQ message) although nothing failed for real. */
  false_dead_letters: number;
  /** A stored (durable) event that never reached the bus. */
  events_missing: number;
  /** A terminal job whose last durable event is not its terminal event. */
  log_disorder: number;
  readonly details: string[];
}

const TERMINAL_EVENT: Partial<Record<JobStatus, JobEvent['type']>> = {
  DONE: 'job.done',
  FAILED: 'job.failed',
  ABORTED: 'job.aborted',
};

/** Checks the invariants once the run has settled (or its bound has passed). */
export async function judge(
  world: World,
  expected: ReadonlyMap<string, readonly JobStatus[]>,
  unsettled: string | undefined,
): Promise<Verdict> {
  const v: Verdict = {
    lost: 0,
    duplicated: 0,
    stuck: 0,
    false_dead_letters: 0,
    events_missing: 0,
    log_disorder: 0,
    details: [],
  };
  if (unsettled !== undefined) {
    v.stuck++;
    v.details.push(`stuck: ${unsettled}`);
  }
  for (const anomaly of world.anomalies) {
    v.stuck++;
    v.details.push(anomaly);
  }
  const onBus = new Set(world.bus.map((e) => e.event_id));
  for (const jobId of expected.keys()) {
    const job = await world.job(jobId);
    if (job === undefined) {
      v.lost++;
      v.details.push(`lost: ${jobId}`);
      continue;
    }
    const log = (await world.observer.jobs.events(jobId, tenant, { limit: 1_000 })).items;
    const seen = new Map<string, number>();
    for (const e of log) {
      const key =
        e.type === 'stage.completed' || e.type.startsWith('job.done') || e.type === 'job.aborted'
          ? `${e.type}:${e.stage}:${e.hop}`
          : `id:${e.event_id}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (!onBus.has(e.event_id)) {
        v.events_missing++;
        v.details.push(`not on the bus: ${e.type} ${e.stage} hop ${e.hop}`);
      }
    }
    for (const [key, n] of seen) {
      if (n > 1) {
        v.duplicated++;
        v.details.push(`twice in the log: ${key}`);
      }
    }
    const terminal = TERMINAL_EVENT[job.status];
    if (terminal !== undefined && log.at(-1)?.type !== terminal) {
      v.log_disorder++;
      v.details.push(`${job.status} but the last event is ${log.at(-1)?.type ?? 'none'}`);
    }
  }
  const dead = [
    ...(await world.inner.store.listDeadLetters({ tenant_id: tenant.tenantId, limit: 100 })).items,
    ...(await world.inner.store.listDeadLetters({ tenant_id: null, limit: 100 })).items,
  ];
  let dlqMessages = 0;
  for (const q of world.observer.topology.all()) {
    const d = await world.inner.queue.depth(q.dlq);
    dlqMessages += d.visible + d.inFlight + d.delayed;
  }
  if (dead.length > 0 || dlqMessages > 0) {
    v.false_dead_letters += Math.max(dead.length, dlqMessages);
    v.details.push(`dead letters: ${dead.map((d) => `${d.code}: ${d.reason}`).join('; ') || dlqMessages}`);
  }
  return v;
}
