import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { coldStart } from '../context.js';
import { instrument } from '../middleware.js';
import { createStageHandler } from '../stage-handler.js';

/** One function per stage: STAGECOACH_PIPELINE and STAGECOACH_STAGE say which. */
export function stageFunction() {
  const ctx = coldStart('stage', 'stagecoach-stage', { eventLingerMs: 1_000 });
  const { pipeline, stage } = ctx.deployment.stage(ctx.config.pipeline, ctx.config.stage);
  return instrument(
    ctx,
    createStageHandler({
      runner: ctx.deployment.runner(pipeline, stage),
      queue: ctx.backend.queue,
      events: ctx.backend.events,
      logger: ctx.deployment.logger,
      onOutcome: (outcome) => ctx.metrics.addMetric(`outcome_${outcome}`, MetricUnit.Count, 1),
    }),
  );
}
