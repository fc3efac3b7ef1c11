import { laneConcurrency, type Topology } from '../core/engine/index.js';
import type { Pipeline, Stage } from '../core/sdk/index.js';
import { lambdaTimeoutMs } from '../core/sdk/index.js';

/** One SQS event source of a Lambda stage, as the stack creates it: one lane queue, its own maximum. */
export interface LaneSource {
  readonly pipeline: Pipeline;
  readonly stage: Stage;
  /** 0 is the lowest lane. */
  readonly lane: number;
  readonly queue: string;
  /** The function's name: every lane of a stage invokes the same function. */
  readonly functionName: string;
  /** The event source's MaximumConcurrency: this lane's part of `compute.concurrency`. */
  readonly maxConcurrency: number;
  /** Records per invocation (the event source's BatchSize). */
  readonly batchSize: number;
  readonly functionTimeoutMs: number;
}

/**
 * The event sources of one Lambda stage, lowest lane first. On AWS each lane queue has its own event
 * source and Lambda polls them independently, each up to its own maximum concurrency
 * (lib/infra/lambda-stage.ts); the dev runtime builds the same set from the same split, rather than
 * one source polling lanes highest-first, so that priorities behave locally as they will deployed.
 */
export function laneSources(pipeline: Pipeline, stage: Stage, topology: Topology): LaneSource[] {
  const { lanes } = topology.stageQueues(pipeline.name, stage.name);
  const maxima = laneConcurrency(stage.compute.concurrency, lanes.length);
  return lanes.map((queue, lane) => ({
    pipeline,
    stage,
    lane,
    queue,
    functionName: `${pipeline.name}-${stage.name}`,
    // laneConcurrency returns one part per lane, so the fallback is never taken.
    maxConcurrency: maxima[lane] ?? stage.compute.concurrency,
    batchSize: stage.compute.batchSize,
    functionTimeoutMs: lambdaTimeoutMs(stage.timeoutMs),
  }));
}

/** Every Lambda stage's lane sources, grouped by stage, for the pipelines of a deployment. */
export function lambdaLaneSources(pipelines: readonly Pipeline[], topology: Topology): LaneSource[][] {
  return pipelines.flatMap((pipeline) =>
    pipeline.stages
      .filter((stage) => stage.compute.kind === 'lambda')
      .map((stage) => laneSources(pipeline, stage, topology)),
  );
}
