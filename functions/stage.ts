import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createStageHandler } from '../lib/adapters/aws/lambda/stage-handler.js';
import { ConfigError, findStage, newWorkerId, StageRunner } from '../lib/core/index.js';
import { coldStart } from './shared/context.js';
import { instrument } from './shared/middleware.js';

// One function per stage: STAGECOACH_PIPELINE and STAGECOACH_STAGE say which.
const ctx = coldStart('stagecoach-stage', { eventLingerMs: 1_000 });
const pipeline = ctx.topology.pipelines.get(process.env.STAGECOACH_PIPELINE ?? '');
const stage = pipeline === undefined ? undefined : findStage(pipeline, process.env.STAGECOACH_STAGE ?? '');
if (pipeline === undefined || stage === undefined) {
  throw new ConfigError('The environment', [
    'STAGECOACH_PIPELINE and STAGECOACH_STAGE must name a stage of this deployment',
  ]);
}
const runner = new StageRunner(pipeline, stage, {
  backend: ctx.backend,
  topology: ctx.topology,
  workerId: newWorkerId('lambda'),
  logger: ctx.logger,
  holds: ctx.holds,
  retentionS: ctx.config.retentionDays * 86_400,
});
export const handler = instrument(
  ctx,
  createStageHandler({
    runner,
    queue: ctx.backend.queue,
    events: ctx.backend.events,
    logger: ctx.logger,
    onOutcome: (outcome) => ctx.metrics.addMetric(`outcome_${outcome}`, MetricUnit.Count, 1),
  }),
);
