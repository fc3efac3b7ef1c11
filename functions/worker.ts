import { WorkerPool } from '../lib/core/engine/worker-pool.js';
import { ConfigError } from '../lib/core/ports/errors.js';
import { findStage } from '../lib/core/sdk/pipeline.js';
import { coldStart } from '../lib/shells/lambda/context.js';

// The Fargate service: a long-poll worker pool for the stages named in STAGECOACH_STAGES
// ("pipeline/stage,..."; default: every fargate stage), stopping gracefully on SIGTERM.
const ctx = coldStart('stagecoach-worker');
const named = (process.env.STAGECOACH_STAGES ?? '').split(',').filter(Boolean);
for (const name of named) {
  const [pipeline, stage] = name.split('/');
  const p = ctx.topology.pipelines.get(pipeline ?? '');
  if (p === undefined || findStage(p, stage ?? '') === undefined) {
    throw new ConfigError('STAGECOACH_STAGES', [
      `'${name}' is not a stage of this deployment (pipeline/stage)`,
    ]);
  }
}
/** A whole number from the environment, or the default; anything else stops the worker at once. */
function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(name, [`must be a whole number of at least ${min} (got '${raw}')`]);
  }
  return value;
}
const concurrency = intFromEnv('STAGECOACH_CONCURRENCY', 0, 0);
const stopTimeoutMs = intFromEnv('STAGECOACH_STOP_TIMEOUT_MS', 100_000, 0);
const pool = new WorkerPool({
  backend: ctx.backend,
  topology: ctx.topology,
  stages: (p, s) => (named.length > 0 ? named.includes(`${p.name}/${s.name}`) : s.compute.kind === 'fargate'),
  ...(concurrency > 0 ? { concurrency } : {}),
  waitTimeMs: 20_000,
  deadLetters: false,
  holds: ctx.holds,
  logger: ctx.logger,
});
pool.start();

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  ctx.logger.info('stopping', { signal });
  // ECS waits stopTimeout (120 s) after SIGTERM before SIGKILL; finish or hand back work before then.
  await pool.stop({ timeoutMs: stopTimeoutMs });
  await ctx.backend.queue.flush();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
