import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { LifecycleEvents } from './lifecycle-events.js';
import type { StageQueueSet } from './stage-queues.js';
import type { JobsState } from './state.js';
import type { Storage } from './storage.js';

/** The shared resources every function and worker of a deployment reaches. */
export interface ServiceResources {
  readonly state: JobsState;
  readonly events: LifecycleEvents;
  readonly storage: Storage;
  /** The variables every function reads (ENV from lib/adapters/aws/config.ts), already resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

/** A deployed stage, Lambda or Fargate: its queues and the principal its runner acts as. */
export interface DeployedStage {
  readonly queues: StageQueueSet;
  readonly runnerRole: iam.IGrantable & IConstruct;
  /** Lets the runner send to the next stage's lane queues (the forward). */
  allowForwardTo(next: StageQueueSet): void;
}

/**
 * What a stage runner does, for least privilege: consume its own lanes, re-send retries to them,
 * dead-letter to its own DLQ; read and write jobs; publish events; use stage storage.
 */
export function grantStageRunner(
  role: iam.IGrantable & IConstruct,
  queues: StageQueueSet,
  resources: ServiceResources,
): void {
  queues.grantConsume(role);
  queues.grantSend(role);
  queues.grantDeadLetter(role);
  resources.state.grantJobsReadWrite(role);
  resources.events.grantPublish(role);
  resources.storage.grantReadWrite(role);
}
