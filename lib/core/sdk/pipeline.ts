import { z } from 'zod';
import { DEFAULT_CONTRACT_LIMIT_BYTES, NameSchema } from '../ports/contract.js';
import { ConfigError } from '../ports/errors.js';
import type { Stage } from './stage.js';

export interface PipelineConfig {
  readonly name: string;
  readonly description?: string;
  /** Ordered; a job runs a contiguous range of them (entry_stage..exit_stage). */
  readonly stages: readonly Stage[];
  /**
   * Priority lanes per stage (one queue each). Lambda stages split `compute.concurrency` over the
   * lanes 1 : 2 : 4 … (lib/core/engine/lane-concurrency.ts); Fargate workers poll higher lanes first.
   * @default 1
   */
  readonly priorityLanes?: number;
  /** Largest serialized job contract. @default 32 KiB */
  readonly contractLimitBytes?: number;
  /**
   * Whether its stage-level events (stage.started, .completed, .failed) go to the event bus always
   * — for an archive, or a rule of another system — or only while someone watches the tenant's
   * jobs live. Job-level events always go; every event is stored either way. Listeners that
   * follow stage events get them always. @default 'watched'
   */
  readonly stageEvents?: 'always' | 'watched';
}

export interface Pipeline {
  readonly name: string;
  readonly description?: string;
  readonly stages: readonly Stage[];
  readonly priorityLanes: number;
  readonly contractLimitBytes: number;
  readonly stageEvents: 'always' | 'watched';
}

const PipelineOptionsSchema = z.object({
  name: NameSchema,
  priorityLanes: z.int().min(1).max(3).optional(),
  stageEvents: z.enum(['always', 'watched']).optional(),
  contractLimitBytes: z
    .int()
    .min(1_024)
    .max(256 * 1_024)
    .optional(),
});

/** Declares a pipeline: an ordered list of stages. Reports every problem at once. */
export function definePipeline(config: PipelineConfig): Pipeline {
  const problems: string[] = [];
  const parsed = PipelineOptionsSchema.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'pipeline'}: ${issue.message}`);
  }
  if (!Array.isArray(config.stages) || config.stages.length === 0) {
    problems.push('stages: a pipeline needs at least one stage');
  } else {
    const seen = new Set<string>();
    for (const stage of config.stages) {
      if (seen.has(stage.name))
        problems.push(`stages: '${stage.name}' appears twice; stage names must be unique`);
      seen.add(stage.name);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Pipeline '${String(config.name)}'`, problems);
  return Object.freeze({
    name: config.name,
    stages: Object.freeze([...config.stages]),
    priorityLanes: config.priorityLanes ?? 1,
    contractLimitBytes: config.contractLimitBytes ?? DEFAULT_CONTRACT_LIMIT_BYTES,
    stageEvents: config.stageEvents ?? 'watched',
    ...(config.description === undefined ? {} : { description: config.description }),
  });
}

export function stageIndex(pipeline: Pipeline, stageName: string): number {
  return pipeline.stages.findIndex((stage) => stage.name === stageName);
}

export function findStage(pipeline: Pipeline, stageName: string): Stage | undefined {
  return pipeline.stages.find((stage) => stage.name === stageName);
}

/** The stage after `stageName` within the job's range, or undefined when it is the exit stage. */
export function nextStage(pipeline: Pipeline, stageName: string, exitStage: string): Stage | undefined {
  if (stageName === exitStage) return undefined;
  return pipeline.stages[stageIndex(pipeline, stageName) + 1];
}
