import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageQueues } from '../core/engine/index.js';
import { ConfigError } from '../core/ports/index.js';
import type { Pipeline, Stage } from '../core/sdk/index.js';
import { ENV } from '../shells/config.js';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  PROJECT_ROOT,
  WORKER_DOCKERFILE,
} from './defaults.js';
import { acknowledge, acknowledgeWildcard } from './nag.js';
import { type DeployedStage, grantStageRunner, type ServiceResources } from './service-resources.js';
import { StageQueueSet } from './stage-queues.js';

/** ECS waits this long after SIGTERM before SIGKILL; the worker hands work back within WORKER_STOP_MS. */
export const CONTAINER_STOP_TIMEOUT = Duration.seconds(120);
export const WORKER_STOP_MS = 100_000;

export interface FargateStageProps {
  readonly pipeline: Pipeline;
  /** A stage of `pipeline` with `compute.kind` 'fargate'. */
  readonly stage: Stage;
  /** The stage's queues as the runtime resolves them (`Topology.stageQueues`). */
  readonly queues: StageQueues;
  /** Tables, bus, bucket and the common environment. */
  readonly resources: ServiceResources;
  /** The cluster (and so the VPC) the service runs in. */
  readonly cluster: ecs.ICluster;
  /** @default the worker image, built from functions/Dockerfile with the repository root as context */
  readonly image?: ecs.ContainerImage;
  /** Most tasks the service scales out to. @default the stage's `compute.maxTasks` */
  readonly maxTasks?: number;
  /** @default the VPC's private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Give tasks a public IP (public subnets without NAT); inbound traffic stays closed. @default false */
  readonly assignPublicIp?: boolean;
  /** How long the stage must have no message waiting or in flight before it scales to zero. @default 5 minutes */
  readonly scaleInAfter?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the container log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A heavy stage on ECS Fargate: its lane queues and DLQ, and a queue-processing service of the
 * worker (functions/worker.ts) that scales on queue depth from zero to `maxTasks` tasks — out while
 * messages wait, back to zero once nothing is waiting or in flight, so a busy task is never stopped
 * by a scale-in.
 */
export class FargateStage extends Construct implements DeployedStage {
  readonly queues: StageQueueSet;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly scalableTarget: appscaling.ScalableTarget;
  /** Messages waiting in every lane: drives the scale-out. */
  readonly backlog: cloudwatch.IMetric;
  /** Messages waiting or in flight in every lane: zero for `scaleInAfter` scales in to zero tasks. */
  readonly workInProgress: cloudwatch.IMetric;

  constructor(scope: Construct, id: string, props: FargateStageProps) {
    super(scope, id);
    const { pipeline, stage } = props;
    const maxTasks = props.maxTasks ?? stage.compute.maxTasks;
    const problems = fargateStageProblems(stage, maxTasks);
    if (problems.length > 0)
      throw new ConfigError(`Fargate stage '${pipeline.name}/${stage.name}'`, problems);

    this.queues = new StageQueueSet(this, 'Queues', { queues: props.queues });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: stage.compute.cpu,
      memoryLimitMiB: stage.compute.memoryMb,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [{ name: 'tmp' }],
    });
    this.container = this.taskDefinition.addContainer('Worker', {
      image:
        props.image ??
        ecs.ContainerImage.fromAsset(PROJECT_ROOT, {
          file: WORKER_DOCKERFILE,
          platform: Platform.LINUX_AMD64,
        }),
      essential: true,
      readonlyRootFilesystem: true,
      stopTimeout: CONTAINER_STOP_TIMEOUT,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: stage.name }),
      environment: {
        ...props.resources.environment,
        [ENV.region]: Stack.of(this).region,
        [ENV.workerStages]: `${pipeline.name}/${stage.name}`,
        [ENV.workerConcurrency]: String(stage.compute.concurrency),
        [ENV.workerStopTimeoutMs]: String(WORKER_STOP_MS),
        // No X-Ray daemon runs beside the worker.
        POWERTOOLS_TRACE_ENABLED: 'false',
      },
    });
    this.container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });
    grantStageRunner(this.taskDefinition.taskRole, this.queues, props.resources);

    this.securityGroup = new ec2.SecurityGroup(this, 'Tasks', {
      vpc: props.cluster.vpc,
      description: `Stagecoach worker ${pipeline.name}/${stage.name}: outbound only`,
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      // No desired count: a deploy then leaves the running count to the scaling policies instead of
      // resetting it (a new service starts one task, which the idle alarm stops after scaleInAfter).
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      assignPublicIp: props.assignPublicIp ?? false,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });

    this.backlog = sumOver(this.queues.lanes, (lane) => [
      lane.metricApproximateNumberOfMessagesVisible(PERIOD),
    ]);
    this.workInProgress = sumOver(this.queues.lanes, (lane) => [
      lane.metricApproximateNumberOfMessagesVisible(PERIOD),
      lane.metricApproximateNumberOfMessagesNotVisible(PERIOD),
    ]);
    this.scalableTarget = new appscaling.ScalableTarget(this, 'Capacity', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: `service/${props.cluster.clusterName}/${this.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: 0,
      maxCapacity: maxTasks,
    });
    this.scalableTarget.scaleOnMetric('ScaleOut', {
      metric: this.backlog,
      scalingSteps: backlogScalingSteps(stage.compute.concurrency, maxTasks),
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(1),
      evaluationPeriods: 1,
    });
    const scaleIn = new appscaling.StepScalingAction(this, 'ScaleInToZero', {
      scalingTarget: this.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(1),
    });
    scaleIn.addAdjustment({ adjustment: 0, upperBound: 0 });
    const idle = new cloudwatch.Alarm(this, 'Idle', {
      alarmDescription: `${pipeline.name}/${stage.name}: nothing waiting or in flight; scale the workers to zero`,
      metric: this.workInProgress,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: Math.max(1, Math.round((props.scaleInAfter ?? Duration.minutes(5)).toMinutes())),
      // SQS stops reporting an idle queue's metrics; silence means no work.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    idle.addAlarmAction(new cwActions.ApplicationScalingAction(scaleIn));

    acknowledge(
      this.taskDefinition,
      'ECS2',
      'The variables are resource names and tuning values (queue prefix, table, bus and bucket names, stage list, concurrency), not secrets.',
    );
    acknowledgeWildcard(
      this.taskDefinition.obtainExecutionRole(),
      '*',
      'ecr:GetAuthorizationToken, which pulling the worker image needs, supports no resource-level permissions.',
    );
  }

  get runnerRole(): iam.IRole {
    return this.taskDefinition.taskRole;
  }

  allowForwardTo(next: StageQueueSet): void {
    next.grantSend(this.taskDefinition.taskRole);
  }
}

const PERIOD = { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM } as const;

function sumOver(
  lanes: readonly sqs.IQueue[],
  metricsOf: (lane: sqs.IQueue) => readonly cloudwatch.IMetric[],
): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  lanes.forEach((lane, l) => {
    metricsOf(lane).forEach((metric, m) => {
      usingMetrics[`q${l}m${m}`] = metric;
    });
  });
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics).join(' + '),
    usingMetrics,
    period: PERIOD.period,
  });
}

/**
 * Scale-out steps on the number of waiting messages: one more task while anything waits, a burst
 * (a quarter of the maximum, at least two) once more than four tasks' worth of work waits.
 */
export function backlogScalingSteps(concurrency: number, maxTasks: number): appscaling.ScalingInterval[] {
  const deep = 4 * concurrency;
  return [
    { lower: 1, upper: deep, change: 1 },
    { lower: deep, change: Math.max(2, Math.ceil(maxTasks / 4)) },
  ];
}

/** Fargate's CPU units and the memory (MiB) each allows. */
const FARGATE_MEMORY: Readonly<Record<number, { min: number; max: number; step: number }>> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** Everything that keeps a stage from running on Fargate, all at once. */
export function fargateStageProblems(stage: Stage, maxTasks: number): string[] {
  const problems: string[] = [];
  const { kind, cpu, memoryMb } = stage.compute;
  if (kind !== 'fargate') problems.push(`compute.kind is '${kind}'; deploy it with LambdaStage`);
  const memory = FARGATE_MEMORY[cpu];
  if (memory === undefined) {
    problems.push(
      `compute.cpu ${cpu} is not a Fargate size; use one of ${Object.keys(FARGATE_MEMORY).join(', ')}`,
    );
  } else if (
    memoryMb < memory.min ||
    memoryMb > memory.max ||
    (memoryMb - memory.min) % memory.step !== 0 ||
    (cpu === 256 && memoryMb === 1536)
  ) {
    problems.push(
      `compute.memoryMb ${memoryMb} does not fit compute.cpu ${cpu}; Fargate allows ${memory.min}..${memory.max} MiB in steps of ${memory.step}`,
    );
  }
  if (!Number.isInteger(maxTasks) || maxTasks < 1)
    problems.push(`maxTasks ${maxTasks} must be a whole number ≥ 1`);
  return problems;
}
