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
  readonly runnerRole: iam.IRole;
  /** Lets the runner send to the next stage's lane queues (the forward). */
  allowForwardTo(next: StageQueueSet): void;
  /**
   * Tells the runner the tenant-session role (STAGECOACH_TENANT_ROLE_ARN): each run's storage and
   * records then go through its job's tenant session. The role must admit the runner's role.
   */
  useTenantSessions(roleArn: string): void;
}

/**
 * What a stage runner does, for least privilege: consume its own lanes, re-send retries to them,
 * dead-letter to its own DLQ; read and write jobs; publish events. No object grant: a run's storage
 * goes through its job's tenant session (TenantAccess, {@link DeployedStage.useTenantSessions}).
 * The table grant stays: the job state is every tenant's, and a message names its tenant only in
 * its body, so the runner's bookkeeping cannot be confined to one tenant before it reads it.
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
}
