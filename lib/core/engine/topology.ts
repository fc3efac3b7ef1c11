import { ConfigError } from '../ports/errors.js';
import type { QueueSpec } from '../ports/job-queue.js';
import type { Pipeline } from '../sdk/pipeline.js';
import type { Stage } from '../sdk/stage.js';

// Topology: the queues a pipeline needs. The runtime, the dev runtime and the CDK app all derive
// their queues from here, so names and settings agree everywhere.

export interface StageQueues {
  readonly pipeline: string;
  readonly stage: string;
  /** Queue names by lane; index 0 is the lowest priority. */
  readonly lanes: readonly string[];
  readonly dlq: string;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
}

const SQS_NAME_LIMIT = 80;

/** The lane a priority (0..9) maps to when a stage has `lanes` lanes. */
export const laneOf = (priority: number, lanes: number): number =>
  Math.min(lanes - 1, Math.max(0, Math.floor((priority * lanes) / 10)));

/**
 * Queues of one stage. maxReceiveCount leaves room for the runner to account crashed attempts
 * against the retry budget itself (it fails the job after maxRetries); the redrive is the backstop
 * for messages that cannot even be claimed.
 */
export function stageQueues(pipeline: Pipeline, stage: Stage, prefix = ''): StageQueues {
  const base = `${prefix}${pipeline.name}-${stage.name}`;
  const lanes = Array.from({ length: pipeline.priorityLanes }, (_, lane) =>
    lane === 0 ? base : `${base}-p${lane}`,
  );
  const dlq = `${base}-dlq`;
  for (const name of [...lanes, dlq]) {
    if (name.length > SQS_NAME_LIMIT || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new ConfigError(`Queue name '${name}'`, [
        `must be at most ${SQS_NAME_LIMIT} characters of letters, digits, - and _; shorten the prefix, pipeline or stage name`,
      ]);
    }
  }
  return {
    pipeline: pipeline.name,
    stage: stage.name,
    lanes,
    dlq,
    visibilityTimeoutMs: stage.visibilityTimeoutMs,
    maxReceiveCount: stage.retry.maxRetries + 3,
  };
}

export function pipelineQueues(pipeline: Pipeline, prefix = ''): readonly StageQueues[] {
  return pipeline.stages.map((stage) => stageQueues(pipeline, stage, prefix));
}

/** Queue specs to create, dead-letter queues first (a redrive policy needs its target). */
export function queueSpecs(queues: readonly StageQueues[]): readonly QueueSpec[] {
  const dlqs: QueueSpec[] = queues.map((q) => ({
    name: q.dlq,
    visibilityTimeoutMs: 60_000,
    retentionMs: 14 * 24 * 3_600_000,
  }));
  const lanes: QueueSpec[] = queues.flatMap((q) =>
    q.lanes.map((name) => ({
      name,
      visibilityTimeoutMs: q.visibilityTimeoutMs,
      maxReceiveCount: q.maxReceiveCount,
      deadLetterQueue: q.dlq,
    })),
  );
  return [...dlqs, ...lanes];
}

/** Resolves the queues of every stage of several pipelines, keyed by `pipeline/stage`. */
export class Topology {
  readonly #byStage = new Map<string, StageQueues>();
  readonly #byQueue = new Map<string, StageQueues>();
  readonly pipelines: ReadonlyMap<string, Pipeline>;

  constructor(pipelines: readonly Pipeline[], prefix = '') {
    const map = new Map<string, Pipeline>();
    for (const pipeline of pipelines) {
      if (map.has(pipeline.name))
        throw new ConfigError('Runtime', [`pipeline '${pipeline.name}' is registered twice`]);
      map.set(pipeline.name, pipeline);
      for (const queues of pipelineQueues(pipeline, prefix)) {
        this.#byStage.set(`${pipeline.name}/${queues.stage}`, queues);
        for (const name of queues.lanes) this.#byQueue.set(name, queues);
        this.#byQueue.set(queues.dlq, queues);
      }
    }
    this.pipelines = map;
  }

  stageQueues(pipeline: string, stage: string): StageQueues {
    const queues = this.#byStage.get(`${pipeline}/${stage}`);
    if (queues === undefined)
      throw new ConfigError('Topology', [`no stage '${stage}' in pipeline '${pipeline}'`]);
    return queues;
  }

  /** The queue a job of this priority is sent to for `stage`. */
  queueFor(pipeline: string, stage: string, priority: number): string {
    const { lanes } = this.stageQueues(pipeline, stage);
    return lanes[laneOf(priority, lanes.length)] ?? lanes[0] ?? '';
  }

  all(): readonly StageQueues[] {
    return [...this.#byStage.values()];
  }

  specs(): readonly QueueSpec[] {
    return queueSpecs(this.all());
  }

  byQueue(queue: string): StageQueues | undefined {
    return this.#byQueue.get(queue);
  }
}
