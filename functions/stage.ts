import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { StageRunner } from '../lib/core/engine/runner.js';
import { newWorkerId } from '../lib/core/engine/runner-kit.js';
import { ConfigError } from '../lib/core/ports/errors.js';
import { findStage } from '../lib/core/sdk/pipeline.js';
import { coldStart } from '../lib/shells/lambda/context.js';
import { instrument } from '../lib/shells/lambda/middleware.js';
import { createStageHandler } from '../lib/shells/lambda/stage-handler.js';

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
