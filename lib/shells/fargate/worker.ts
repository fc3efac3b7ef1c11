import type { Pipeline, Stage } from '../../core/sdk/index.js';
import { coldStart } from '../lambda/context.js';
import { protectReceivedMessages, TaskProtection } from './task-protection.js';

/**
 * The Fargate service: a long-poll worker pool for the stages named in STAGECOACH_STAGES
 * ("pipeline/stage,..."; default: every fargate stage of the selected services), stopping
 * gracefully on SIGTERM — ECS waits its stopTimeout (120 s) before SIGKILL, so in-flight stages
 * finish or hand their messages back before then.
 */
export function runWorker(): void {
  const ctx = coldStart('worker', 'stagecoach-worker');
  const { deployment, config } = ctx;
  const named = config.workerStages ?? [];
  for (const name of named) {
    const [pipeline = '', stage = ''] = name.split('/');
    deployment.stage(pipeline, stage);
  }
  const selected = (p: Pipeline, s: Stage): boolean =>
    named.length > 0 ? named.includes(`${p.name}/${s.name}`) : s.compute.kind === 'fargate';
  // In ECS: a task holding messages is protected from scale-in until it has finished them.
  const protection = new TaskProtection({ agentUri: config.ecsAgentUri, logger: deployment.logger });
  if (protection.active) protectReceivedMessages(ctx.backend.clients.sqs, protection);
  const pool = deployment.pool({
    stages: selected,
    onOutcome: () => protection.release(),
    ...(config.workerConcurrency > 0 ? { concurrency: config.workerConcurrency } : {}),
    waitTimeMs: 20_000,
    deadLetters: false,
  });
  pool.start();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    deployment.logger.info('stopping', { signal });
    await pool.stop({ timeoutMs: config.workerStopTimeoutMs });
    protection.close();
    await ctx.backend.queue.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
