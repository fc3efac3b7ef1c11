import { Annotations, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageQueues } from '../core/engine/index.js';
import { ConfigError } from '../core/ports/index.js';
import type { Pipeline, Stage } from '../core/sdk/index.js';
import { ENV } from '../shells/config.js';
import {
  BUNDLE_TARGET,
  DEFAULT_LOG_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  PROJECT_ROOT,
  WORKER_BASE_IMAGE,
  WORKER_DOCKERFILE,
  workerBaseImage,
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
  /** Where the tasks may connect, on HTTPS (443) only. @default any IPv4 address */
  readonly egress?: readonly ec2.IPeer[];
  /** Run on Fargate Spot: cheaper, stopped with two minutes' notice (the worker drains in 100 s). @default false */
  readonly spot?: boolean;
  /** How long the stage must have no message waiting or in flight before it scales to zero. @default 5 minutes */
  readonly scaleInAfter?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the container log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A heavy stage on ECS Fargate (arm64, on Fargate or Fargate Spot): its lane queues and DLQ, and a
 * queue-processing service of the worker (functions/worker.ts) that scales from zero to `maxTasks`:
 * target tracking keeps the work per task (messages waiting or in flight, over running tasks) at
 * the stage's `concurrency`; a step policy starts the tasks the backlog needs at once when none
 * runs; and the service goes back to zero when nothing has waited or run for `scaleInAfter`. A
 * worker holding messages protects its task from scale-in (the ECS agent's task-protection
 * endpoint), so a scale-in only ever stops idle tasks. Tasks may send HTTPS only.
 */
export class FargateStage extends Construct implements DeployedStage {
  readonly queues: StageQueueSet;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly scalableTarget: appscaling.ScalableTarget;
  /** Messages waiting in every lane, when no task runs: starts the service from zero. */
  readonly backlog: cloudwatch.IMetric;
  /** The service's running tasks (Container Insights). */
  readonly runningTasks: cloudwatch.IMetric;
  /** Work per task: messages waiting or in flight over running tasks; target tracking holds it at `concurrency`. */
  readonly workPerTask: appscaling.CfnScalingPolicy;
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
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [{ name: 'tmp' }],
    });
    this.container = this.taskDefinition.addContainer('Worker', {
      image:
        props.image ??
        ecs.ContainerImage.fromAsset(PROJECT_ROOT, {
          file: WORKER_DOCKERFILE,
          platform: Platform.LINUX_ARM64,
          buildArgs: { BASE_IMAGE: workerBaseImage(), BUNDLE_TARGET },
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
    // The worker protects its task from scale-in while it holds messages (ECS agent endpoint).
    const tasks = Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.cluster.clusterName}/*`,
    });
    this.taskDefinition.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
        resources: [tasks],
      }),
    );
    acknowledgeWildcard(
      this.taskDefinition.taskRole,
      tasks,
      "Task ids are assigned at run time; a worker sets scale-in protection on its own task, and the grant covers this cluster's tasks only.",
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'Tasks', {
      vpc: props.cluster.vpc,
      description: `Stagecoach worker ${pipeline.name}/${stage.name}: HTTPS out only`,
      allowAllOutbound: false,
    });
    for (const peer of props.egress ?? [ec2.Peer.anyIpv4()]) {
      this.securityGroup.addEgressRule(peer, ec2.Port.tcp(443), 'HTTPS to AWS APIs');
    }
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
      capacityProviderStrategies: [
        { capacityProvider: props.spot === true ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 },
      ],
    });
    if (WORKER_BASE_IMAGE.digest === undefined && props.image === undefined) {
      Annotations.of(this).addWarningV2(
        'stagecoach:workerImageUnpinned',
        `The worker image's base ${workerBaseImage()} is not pinned by digest; record it in WORKER_BASE_IMAGE (lib/infra/defaults.ts)`,
      );
    }

    const running = new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: this.service.serviceName },
      ...PERIOD,
    });
    this.runningTasks = running;
    // When no task runs: the messages waiting; otherwise 0, so this starts the service and no more.
    this.backlog = new cloudwatch.MathExpression({
      expression: `IF(FILL(running, 0) < 1, ${laneSum(this.queues.lanes.length, ['v'])}, 0)`,
      usingMetrics: {
        running,
        ...laneMetrics(this.queues.lanes, {
          v: (lane) => lane.metricApproximateNumberOfMessagesVisible(PERIOD),
        }),
      },
      period: PERIOD.period,
      label: 'messages waiting while no task runs',
    });
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
    // Target tracking cannot leave zero (it multiplies the current capacity), so this step policy does.
    this.scalableTarget.scaleOnMetric('StartFromZero', {
      metric: this.backlog,
      scalingSteps: startSteps(stage.compute.concurrency, maxTasks),
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(1),
      evaluationPeriods: 1,
    });
    this.workPerTask = new appscaling.CfnScalingPolicy(this, 'WorkPerTask', {
      policyName: `${Stack.of(this).stackName}-${pipeline.name}-${stage.name}-work-per-task`.slice(0, 256),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scalableTarget.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: stage.compute.concurrency,
        scaleOutCooldown: 60,
        scaleInCooldown: 120,
        customizedMetricSpecification: {
          metrics: workPerTaskQueries(this.queues.lanes, running),
        },
      },
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

  useTenantSessions(roleArn: string): void {
    this.container.addEnvironment(ENV.tenantRoleArn, roleArn);
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

/** `v0 + v1 + …` over the lanes, for the metric names given. */
function laneSum(lanes: number, names: readonly string[]): string {
  return Array.from({ length: lanes }, (_, l) => names.map((n) => `${n}${l}`))
    .flat()
    .join(' + ');
}

function laneMetrics(
  lanes: readonly sqs.IQueue[],
  metrics: Readonly<Record<string, (lane: sqs.IQueue) => cloudwatch.IMetric>>,
): Record<string, cloudwatch.IMetric> {
  const out: Record<string, cloudwatch.IMetric> = {};
  lanes.forEach((lane, l) => {
    for (const [name, metricOf] of Object.entries(metrics)) out[`${name}${l}`] = metricOf(lane);
  });
  return out;
}

/**
 * The target-tracking metric, as metric-math queries: messages waiting or in flight over every lane,
 * divided by the running tasks. Holding it at the stage's concurrency runs as many tasks as the work
 * needs to run at once.
 */
function workPerTaskQueries(
  lanes: readonly sqs.IQueue[],
  running: cloudwatch.Metric,
): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty[] {
  const stat = (id: string, metric: cloudwatch.Metric) => ({
    id,
    returnData: false,
    metricStat: {
      stat: 'Maximum',
      metric: {
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensions: Object.entries(metric.dimensions ?? {}).map(([name, value]) => ({
          name,
          value: String(value),
        })),
      },
    },
  });
  const queries = lanes.flatMap((lane, l) => [
    stat(`v${l}`, lane.metricApproximateNumberOfMessagesVisible()),
    stat(`n${l}`, lane.metricApproximateNumberOfMessagesNotVisible()),
  ]);
  return [
    ...queries,
    stat('running', running),
    {
      id: 'work_per_task',
      label: 'messages waiting or in flight per running task',
      expression: `(${laneSum(lanes.length, ['v', 'n'])}) / running`,
      returnData: true,
    },
  ];
}

/**
 * Start-from-zero steps on the messages waiting while no task runs: enough tasks to take them all
 * at once (at least ⌈waiting / concurrency⌉), in counts that double — 1, 2, 4, … — up to `maxTasks`
 * (ten steps at most); target tracking trims any excess once the tasks run.
 */
export function startSteps(concurrency: number, maxTasks: number): appscaling.ScalingInterval[] {
  const counts: number[] = [];
  for (let tasks = 1; tasks < maxTasks && counts.length < 9; tasks *= 2) counts.push(tasks);
  // Application Auto Scaling wants two steps at least: a single task gets the same count twice.
  counts.push(counts.length === 0 ? 1 : maxTasks, ...(counts.length === 0 ? [1] : []));
  return counts.map((tasks, i) => {
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
    const lower = below * concurrency + 1;
    return i === counts.length - 1
      ? { lower, change: tasks }
      : { lower, upper: tasks * concurrency + 1, change: tasks };
  });
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
