import { envelopeOf, type JobStatus, serializeEnvelope, sleep } from '../../lib/core/ports/index.js';
import { testRandom } from '../oma/support/assert-close.js';
import { atRandom } from './faults.js';
import { judge } from './scenarios.js';
import { tenant, World } from './world.js';

export interface SoakOptions {
  readonly jobs: number;
  /** Share of counted port calls that fail. @default 0.01 */
  readonly faultRate?: number;
  /** Share of counted port calls that crash the worker. @default 0.0005 */
  readonly crashRate?: number;
  /** Share of jobs whose first message is delivered twice. @default 0.01 */
  readonly duplicateRate?: number;
  /** Jobs submitted at once. @default 200 */
  readonly concurrency?: number;
  readonly seed?: number;
  readonly onProgress?: (line: string) => void;
}

export interface SoakReport {
  readonly jobs: number;
  readonly stages: number;
  readonly faults: number;
  readonly crashes: number;
  readonly duplicates_sent: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly stuck: number;
  readonly false_dead_letters: number;
  readonly events_missing: number;
  readonly log_disorder: number;
  readonly seconds: number;
}

/**
 * Many jobs through four stages while 1 % of the workers' port calls fail (refused, or taking
 * effect with the answer lost), one in two thousand crashes the worker (a fresh one replaces it),
 * and 1 % of first messages arrive twice; then faults stop, the system heals, and the same
 * invariants as the sweep are checked over every job.
 */
export async function soak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  // testRandom is uniform in [-1, 1); faults and duplicates draw from [0, 1).
  const signed = testRandom(options.seed ?? 1);
  const random = (): number => (signed() + 1) / 2;
  const rate = options.faultRate ?? 0.01;
  // Half the faults refuse the call, half lose its answer; a worker crash is rarer (one call in
  // two thousand), as a process dies far less often than a request fails.
  const plan = atRandom(
    { error: rate / 2, 'lost-reply': rate / 2, crash: options.crashRate ?? 0.0005 },
    random,
  );
  const world = await new World(plan, { later: plan, stages: 4, concurrency: 50 }).start();
  const expected = new Map<string, readonly JobStatus[]>();
  let duplicates = 0;
  try {
    const ids = Array.from({ length: options.jobs }, (_, i) => `soak-${i}`);
    const width = options.concurrency ?? 200;
    for (let i = 0; i < ids.length; i += width) {
      await Promise.all(
        ids.slice(i, i + width).map(async (jobId) => {
          const job = await world.call('submit', (jobs) =>
            jobs.submit({ pipeline: 'chain', job_id: jobId, params: { item: jobId } }, tenant),
          );
          expected.set(jobId, ['DONE']);
          if (!(job instanceof Error) && random() < (options.duplicateRate ?? 0.01)) {
            duplicates++;
            const queue = world.runtime.topology.queueFor('chain', 'a', 0);
            const first = {
              ...job,
              stage: 'a',
              hop: 0,
              stage_hop: 0,
              retry_count: 0,
              params: { item: jobId },
            };
            await world.inner.queue.send(queue, [{ body: serializeEnvelope(envelopeOf(first)) }]);
          }
        }),
      );
      if ((i / width) % 5 === 4) options.onProgress?.(`soak: ${i + width} of ${ids.length} submitted`);
      // Keep the backlog bounded, as a producer behind an API would be.
      while ((await world.messagesLeft()) > 4 * width) await sleep(20);
    }
    // Faults stop, then the system must heal on its own.
    const unsettled = await world.settle(expected, { calm: true });
    const verdict = await judge(world, expected, unsettled);
    for (const line of verdict.details.slice(0, 20)) options.onProgress?.(`  FAIL ${line}`);
    const fired = world.fired;
    return {
      jobs: options.jobs,
      stages: 4,
      faults: fired.length,
      crashes: fired.filter((f) => f.startsWith('crash')).length,
      duplicates_sent: duplicates,
      lost: verdict.lost,
      duplicated: verdict.duplicated,
      stuck: verdict.stuck,
      false_dead_letters: verdict.false_dead_letters,
      events_missing: verdict.events_missing,
      log_disorder: verdict.log_disorder,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await world.stop();
  }
}
