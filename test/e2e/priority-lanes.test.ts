import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsBackend, provisionAws } from '../../lib/adapters/aws/index.js';
import { defineService } from '../../lib/core/api/index.js';
import { batchesUntilStart, laneConcurrency, laneOf, laneShares } from '../../lib/core/engine/index.js';
import { silentLogger } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../lib/core/sdk/index.js';
import { DevRuntime, devAwsConfig } from '../../lib/dev/runtime.js';
import { Deployment } from '../../lib/shells/deployment.js';
import { motoEndpoint } from '../contract/aws-harness.js';
import { eventually } from '../support/wait.js';

// Priority lanes as Lambda runs them, played by the dev runtime on moto: one event source per lane
// with the stack's maximum concurrency, a backlog in every lane before any source polls, and a stage
// that takes a fixed time, so throughput is bound by each lane's concurrency. The order in which
// the stage starts jobs (a counter in the stage, not the clock) shows the split, the drain order and
// the starvation bound of lib/core/engine/lane-concurrency.ts.

const LANES = 3;
const CONCURRENCY = 14; // split 2 : 4 : 8
const BATCH_SIZE = 1; // one job per invocation, so a start is a batch
const PER_LANE = 40;
/** How long the stage holds a job: long against a moto round trip, so the concurrency binds. */
const PROCESS_MS = 750;
/** A job's moto round trips (receive, claim, events, completion, delete) at ~50 a second. */
const MOTO_MS_PER_JOB = 200;
/** A priority in each lane, lowest first (laneOf maps 0–9 onto the lanes). */
const PRIORITIES = [0, 5, 9];

interface Start {
  readonly job: string;
  readonly lane: number;
}
const starts: Start[] = [];
const running = Array.from({ length: LANES }, () => 0);
const peak = Array.from({ length: LANES }, () => 0);

const work = defineStage({
  name: 'work',
  inputs: {},
  outputs: [],
  retry: { maxRetries: 0 },
  compute: { kind: 'lambda', concurrency: CONCURRENCY, batchSize: BATCH_SIZE, batchWindowMs: 0 },
  async process(_inputs, ctx) {
    const lane = laneOf(ctx.job.priority, LANES);
    starts.push({ job: ctx.job.job_id, lane });
    running[lane] = (running[lane] ?? 0) + 1;
    peak[lane] = Math.max(peak[lane] ?? 0, running[lane] ?? 0);
    try {
      await new Promise((resolve) => setTimeout(resolve, PROCESS_MS));
    } finally {
      running[lane] = (running[lane] ?? 1) - 1;
    }
    return {};
  },
});
const lanesService = defineService({
  name: 'lanes',
  pipelines: [definePipeline({ name: 'lanes', priorityLanes: LANES, stages: [work] })],
});
const caller = { tenantId: 'tenant-a' };

/** The index (in start order) of each job's first start, per lane. */
function firstStartsByLane(all: readonly Start[]): number[][] {
  const seen = new Set<string>();
  const byLane: number[][] = Array.from({ length: LANES }, () => []);
  all.forEach((start, rank) => {
    if (seen.has(start.job)) return;
    seen.add(start.job);
    byLane[start.lane]?.push(rank);
  });
  return byLane;
}

const endpoint = motoEndpoint();

describe.skipIf(endpoint === undefined)(
  'priority lanes on the dev runtime (moto), every lane backlogged',
  () => {
    let runtime: DevRuntime | undefined;
    let dir: string | undefined;
    afterAll(async () => {
      await runtime?.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    const maxima = laneConcurrency(CONCURRENCY, LANES);
    const slots = maxima.reduce((a, b) => a + b, 0) * BATCH_SIZE;
    // Ceiling, not a measurement: the middle lane's rounds of PROCESS_MS plus the moto round trips
    // of every job started by then, three times over for a busy machine.
    const ceilingMs =
      3 * ((PER_LANE / ((maxima[1] ?? 2) * BATCH_SIZE)) * PROCESS_MS + LANES * PER_LANE * MOTO_MS_PER_JOB);

    it(`splits ${CONCURRENCY} over ${LANES} lanes as the stack does, drains the highest lane first and starves none`, {
      timeout: ceilingMs + 60_000,
    }, async () => {
      // Prepare: the backlog, submitted through a deployment of its own before any source polls
      const began = Date.now();
      dir = await mkdtemp(join(tmpdir(), 'stagecoach-lanes-'));
      const prefix = `lanes${Date.now() % 100_000}-`;
      const config = devAwsConfig(prefix, 'http://127.0.0.1:0', endpoint);
      const aws = createAwsBackend(config);
      const submitter = new Deployment({
        backend: aws,
        services: [lanesService],
        prefix,
        logger: silentLogger,
      });
      await provisionAws(aws.config, aws.clients, aws.queue, submitter.topology.specs());
      // Interleaved across lanes, so no lane's messages are older than another's.
      const order = Array.from({ length: PER_LANE * LANES }, (_, n) => PRIORITIES[n % LANES] ?? 0);
      let next = 0;
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let n = next++; n < order.length; n = next++) {
            await submitter.jobs.submit({ pipeline: 'lanes', params: {}, priority: order[n] ?? 0 }, caller);
          }
        }),
      );
      await aws.events.flush();

      // Act: the runtime starts its lane sources on the full queues
      const submitted = Date.now();
      runtime = await DevRuntime.start({
        backend: 'endpoint',
        endpoint,
        services: [lanesService],
        port: 0,
        tokensFile: join(dir, 'tokens.json'),
        prefix,
      });
      const started = runtime;
      // The test ends once the two higher lanes have started every job: the lowest lane's rest would
      // only add moto time, and that it is still waiting then is part of what is asserted.
      await eventually(
        () => firstStartsByLane(starts).every((ranks, lane) => lane === 0 || ranks.length === PER_LANE),
        `the ${PER_LANE * (LANES - 1)} jobs of the two higher lanes started`,
        ceilingMs,
      );
      const byLane = firstStartsByLane(starts);
      const lowestWhenOthersDrained = byLane[0]?.length ?? 0;
      const ran = Date.now();

      // Assess: the wiring — one source per lane, with the stack's maxima
      const sources = started.laneSources.filter((s) => s.pipeline.name === 'lanes');
      expect(sources.map((s) => s.maxConcurrency)).toEqual(maxima);
      expect(sources.map((s) => s.queue)).toEqual(started.topology.stageQueues('lanes', 'work').lanes);

      // The window in which every lane had a backlog: up to the highest lane's last start.
      const top = byLane[LANES - 1] ?? [];
      const window = (top[top.length - 1] ?? 0) + 1;
      const counts = byLane.map((ranks) => ranks.filter((rank) => rank < window).length);
      const measured = counts.map((c) => c / window);
      const expected = laneShares(maxima);
      // The lanes' sources poll independently, so by the window's end a lane may have run one round
      // of its slots more or fewer than the highest lane: count m·B·(R ± 1) instead of m·B·R. Moving
      // every lane by a round that way moves lane l's share by at most 2·m_l·B·(1 − e_l) / window.
      const tolerance = maxima.map((m, lane) => (2 * m * BATCH_SIZE * (1 - (expected[lane] ?? 0))) / window);
      const bounds = byLane[0]
        ?.filter((rank) => rank < window)
        .map((rank, i) => ({
          rank,
          bound: batchesUntilStart(i + 1, maxima[0] ?? 2, BATCH_SIZE) * slots,
        }));
      console.info(
        `[priority-lanes] maxima ${maxima.join(':')}; window ${window} starts; counts ${counts.join('/')}; ` +
          `shares ${measured.map((s) => s.toFixed(3)).join('/')} vs ${expected.map((s) => s.toFixed(3)).join('/')} ` +
          `± ${tolerance.map((t) => t.toFixed(3)).join('/')}; peaks ${peak.join('/')}; ` +
          `lane 0 ranks ${(bounds ?? []).map((b) => `${b.rank}≤${b.bound}`).join(' ')}; ` +
          `last starts ${byLane.map((r) => r[r.length - 1]).join('/')}; ` +
          `lowest lane started ${lowestWhenOthersDrained}/${PER_LANE} when the others had drained; repeated starts ${starts.length - byLane.flat().length}; ` +
          `submit ${submitted - began} ms, run ${ran - submitted} ms (reported, not asserted)`,
      );
      // No lane ran beyond its event source's maximum.
      const over = peak.flatMap((p, lane) => {
        const max = (maxima[lane] ?? 0) * BATCH_SIZE;
        return p > max ? [{ lane, peak: p, max }] : [];
      });
      expect(over).toEqual([]);
      // The split, within a round per lane (the failure names the difference and the tolerance), and
      // higher lanes ahead of lower ones.
      const off = measured.flatMap((share, lane) => {
        const difference = Math.abs(share - (expected[lane] ?? 0));
        return difference > (tolerance[lane] ?? 0)
          ? [{ lane, share, difference, tolerance: tolerance[lane] }]
          : [];
      });
      expect(off).toEqual([]);
      expect(counts[2]).toBeGreaterThan(counts[1] ?? 0);
      expect(counts[1]).toBeGreaterThan(counts[0] ?? 0);
      // The highest lane drains first, then the middle one, while the lowest still has a backlog.
      const last = byLane.map((ranks) => ranks[ranks.length - 1] ?? 0);
      expect(last[2]).toBeLessThan(last[1] ?? 0);
      expect(lowestWhenOthersDrained).toBeLessThan(PER_LANE);
      // Starvation bound: lane 0's k-th job starts within batchesUntilStart(k) batch durations, in
      // which every slot of the stage starts at most that many batches — so among the first
      // batchesUntilStart(k) × slots starts, long before the other lanes drain.
      expect(bounds?.length).toBeGreaterThan(0);
      for (const { rank, bound } of bounds ?? []) expect(rank).toBeLessThan(bound);
    });
  },
);
