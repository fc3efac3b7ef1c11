import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageQueues } from '../core/engine/index.js';
import { ConfigError } from '../core/ports/index.js';
import type { Pipeline } from '../core/sdk/index.js';
import { LAMBDA_BOOKKEEPING_MS, lambdaTimeoutMs, type Stage } from '../core/sdk/index.js';
import { ENV } from '../shells/config.js';
import { laneConcurrency } from './lane-concurrency.js';
import { ServiceFunction } from './service-function.js';
import { type DeployedStage, grantStageRunner, type ServiceResources } from './service-resources.js';
import { StageQueueSet } from './stage-queues.js';

/** AWS's advice for SQS event sources: visibility at least six times the function timeout. */
export const VISIBILITY_FACTOR = 6;
const LAMBDA_MAX_TIMEOUT_MS = 15 * 60_000;

export interface LambdaStageProps {
  readonly pipeline: Pipeline;
  /** A stage of `pipeline` with `compute.kind` 'lambda'. */
  readonly stage: Stage;
  /** The stage's queues as the runtime resolves them (`Topology.stageQueues`). */
  readonly queues: StageQueues;
  /** Tables, bus, bucket and the common environment. */
  readonly resources: ServiceResources;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the function's log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A light stage on Lambda: its lane queues and DLQ (encrypted, TLS-only, redrive after the stage's
 * maxReceiveCount), one function bundled from functions/stage.ts (with the stage's reserved
 * concurrency, if any), and an SQS event source per lane with partial batch responses, the stage's
 * batch size and batching window, and the stage's `concurrency` split over the lanes by weight
 * (see lane-concurrency.ts: higher lanes get more, none starves).
 */
export class LambdaStage extends Construct implements DeployedStage {
  readonly queues: StageQueueSet;
  readonly handler: ServiceFunction;
  readonly function: lambda.IFunction;
  readonly eventSources: readonly SqsEventSource[];
  /** Maximum concurrency of each lane's event source, lowest lane first. */
  readonly laneConcurrency: readonly number[];

  constructor(scope: Construct, id: string, props: LambdaStageProps) {
    super(scope, id);
    const { pipeline, stage, queues } = props;
    const timeoutMs = lambdaTimeoutMs(stage.timeoutMs);
    const problems = lambdaStageProblems(stage, queues);
    if (problems.length > 0) throw new ConfigError(`Lambda stage '${pipeline.name}/${stage.name}'`, problems);

    this.queues = new StageQueueSet(this, 'Queues', { queues });
    this.handler = new ServiceFunction(this, 'Runner', {
      entry: 'stage.ts',
      description: `Stagecoach stage ${pipeline.name}/${stage.name}`,
      memorySize: stage.compute.memoryMb,
      timeout: Duration.seconds(timeoutMs / 1000),
      ...(stage.compute.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: stage.compute.reservedConcurrency }),
      environment: {
        ...props.resources.environment,
        [ENV.pipeline]: pipeline.name,
        [ENV.stage]: stage.name,
      },
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    this.function = this.handler.function;
    grantStageRunner(this.handler.role, this.queues, props.resources);
    this.laneConcurrency = laneConcurrency(stage.compute.concurrency, this.queues.lanes.length);
    const window = stage.compute.batchWindowMs ?? 0;
    this.eventSources = this.queues.lanes.map((lane, l) => {
      const source = new SqsEventSource(lane, {
        batchSize: stage.compute.batchSize,
        maxConcurrency: this.laneConcurrency[l] ?? stage.compute.concurrency,
        reportBatchItemFailures: true,
        ...(window > 0 ? { maxBatchingWindow: Duration.seconds(window / 1000) } : {}),
      });
      this.handler.function.addEventSource(source);
      return source;
    });
  }

  get runnerRole(): iam.Role {
    return this.handler.role;
  }

  allowForwardTo(next: StageQueueSet): void {
    next.grantSend(this.handler.role);
  }

  useTenantSessions(roleArn: string): void {
    this.handler.function.addEnvironment(ENV.tenantRoleArn, roleArn);
  }
}

/** Everything that keeps a stage from running on Lambda, all at once. */
export function lambdaStageProblems(stage: Stage, queues: StageQueues): string[] {
  const problems: string[] = [];
  if (stage.compute.kind !== 'lambda')
    problems.push(`compute.kind is '${stage.compute.kind}'; deploy it with FargateStage`);
  const timeoutMs = lambdaTimeoutMs(stage.timeoutMs);
  if (stage.timeoutMs + LAMBDA_BOOKKEEPING_MS > LAMBDA_MAX_TIMEOUT_MS)
    problems.push(
      `timeoutMs ${stage.timeoutMs} plus ${LAMBDA_BOOKKEEPING_MS} ms of bookkeeping exceeds Lambda's 15 minutes; shorten it or use compute.kind 'fargate'`,
    );
  if (stage.compute.memoryMb > 10_240)
    problems.push(
      `compute.memoryMb ${stage.compute.memoryMb} exceeds Lambda's 10240 MB; use compute.kind 'fargate'`,
    );
  const window = stage.compute.batchWindowMs ?? 0;
  const minimum = VISIBILITY_FACTOR * timeoutMs + window;
  if (queues.visibilityTimeoutMs < minimum)
    problems.push(
      `visibilityTimeoutMs ${queues.visibilityTimeoutMs} is below ${VISIBILITY_FACTOR} × the function timeout (${timeoutMs} ms)${window > 0 ? ` plus the batching window (${window} ms)` : ''}; set it to at least ${minimum} or leave it unset`,
    );
  const reserved = stage.compute.reservedConcurrency;
  if (reserved !== undefined && stage.compute.kind === 'lambda') {
    const needed = laneConcurrency(stage.compute.concurrency, queues.lanes.length).reduce((a, b) => a + b, 0);
    if (reserved < needed)
      problems.push(
        `compute.reservedConcurrency ${reserved} is below the event sources' maximum concurrency (${needed} over ${queues.lanes.length} lane(s)); throttled batches come back and count towards the dead-letter queue — raise it to at least ${needed} or lower compute.concurrency`,
      );
  }
  return problems;
}
