import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../lib/core/engine/index.js';
import { defineStage } from '../../lib/core/sdk/index.js';
import { BUNDLE_TARGET, NODE_MAJOR, workerBaseImage } from '../../lib/infra/defaults.js';
import { FargateStage, fargateStageProblems, startSteps } from '../../lib/infra/fargate-stage.js';
import {
  fargatePipeline,
  fastApp,
  logicalId,
  permissionsOf,
  queuesAllowed,
  serviceResources,
} from './support.js';

const topology = new Topology([fargatePipeline], 'test-');
const analyze = fargatePipeline.stages[1];
const publish = fargatePipeline.stages[2];

describe('FargateStage', () => {
  let app: App;
  let stage: FargateStage;
  let template: Template;

  beforeAll(() => {
    // Prepare
    if (analyze === undefined || publish === undefined) throw new Error('the test pipeline has three stages');
    app = fastApp();
    const stack = new Stack(app, 'FargateStageTest');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const resources = serviceResources(stack);
    stage = new FargateStage(stack, 'Analyze', {
      pipeline: fargatePipeline,
      stage: analyze,
      queues: topology.stageQueues('survey', 'analyze'),
      resources,
      cluster,
    });
    const next = new FargateStage(stack, 'Publish', {
      pipeline: fargatePipeline,
      stage: defineStage({
        name: 'publish',
        inputs: {},
        outputs: [],
        compute: { kind: 'fargate', cpu: 256, memoryMb: 512 },
        process: () => ({}),
      }),
      queues: topology.stageQueues('survey', 'publish'),
      resources,
      cluster,
      spot: true,
      egress: [ec2.Peer.ipv4('10.0.0.0/16'), ec2.Peer.prefixList('pl-63a5400a')],
    });
    stage.allowForwardTo(next.queues);

    // Act
    template = Template.fromStack(stack);
  });

  it('creates the stage queue and its dead-letter queue from the topology', () => {
    const spec = topology.stageQueues('survey', 'analyze');
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'test-survey-analyze',
      VisibilityTimeout: spec.visibilityTimeoutMs / 1000,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: spec.maxReceiveCount }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'test-survey-analyze-dlq' });
  });

  it("sizes the task from the stage's compute and runs the worker for this stage only", () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '4096',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: 120,
          ReadonlyRootFilesystem: true,
          MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          // arrayWith keeps order: the common variables come first
          Environment: Match.arrayWith([
            { Name: 'STAGECOACH_QUEUE_PREFIX', Value: 'test-' },
            { Name: 'STAGECOACH_STAGES', Value: 'survey/analyze' },
            { Name: 'STAGECOACH_CONCURRENCY', Value: '2' },
            { Name: 'STAGECOACH_STOP_TIMEOUT_MS', Value: '100000' },
          ]),
        }),
      ],
    });
  });

  it('builds the image from functions/Dockerfile with the repository root as context', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'FargateStageTest.assets.json'), 'utf8'));
    const images: {
      source: {
        directory: string;
        dockerFile?: string;
        platform?: string;
        dockerBuildArgs?: Record<string, string>;
      };
    }[] = Object.values(manifest.dockerImages);

    // Act
    const source = images[0]?.source;
    const context = join(app.outdir, source?.directory ?? 'missing');

    // Assess
    expect(images).toHaveLength(1);
    expect(source?.dockerFile).toBe('functions/Dockerfile');
    expect(source?.platform).toBe('linux/arm64');
    // the Node.js version comes from one place, lib/infra/defaults.ts
    expect(source?.dockerBuildArgs).toEqual({ BASE_IMAGE: workerBaseImage(), BUNDLE_TARGET });
    expect(workerBaseImage()).toMatch(
      new RegExp(`^node:${NODE_MAJOR}-bookworm-slim(@sha256:[0-9a-f]{64})?$`),
    );
    const dockerfile = readFileSync(join(context, 'functions', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=/m);
    expect(dockerfile).toMatch(/^FROM \$\{BASE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/--target=\$\{BUNDLE_TARGET\}/);
    expect(existsSync(join(context, 'functions', 'worker.ts'))).toBe(true);
    expect(existsSync(join(context, 'package-lock.json'))).toBe(true);
    // .dockerignore keeps the build context small
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
  });

  it('leaves the task count to scaling, in private subnets, with no inbound rule and HTTPS out only', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: Match.absent(),
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Stagecoach worker survey/analyze: HTTPS out only',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [
        {
          CidrIp: '0.0.0.0/0',
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          Description: 'HTTPS to AWS APIs',
        },
      ],
    });
  });

  it('runs on Fargate Spot when asked, with egress only to the given peers', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Stagecoach worker survey/publish: HTTPS out only',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443 })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationPrefixListId: 'pl-63a5400a',
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
    });
  });

  it('lets the task protect itself from scale-in, on tasks of its cluster only', () => {
    const role = logicalId(stage.taskDefinition.taskRole);
    const permissions = permissionsOf(template, role);
    for (const action of ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection']) {
      const [resource] = [...(permissions.get(action) ?? [])];
      expect(resource, action).toMatch(
        /^arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\/<Cluster[0-9A-F]+>\/\*$/,
      );
    }
  });

  it('tracks the work per running task at the stage concurrency, starts from zero at once, and stops when idle', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 3,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    // target tracking: (waiting + in flight) / running tasks = concurrency (2)
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 2,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 120,
        CustomizedMetricSpecification: {
          Metrics: Match.arrayWith([
            Match.objectLike({
              Id: 'v0',
              ReturnData: false,
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesVisible' }),
              }),
            }),
            Match.objectLike({
              Id: 'n0',
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesNotVisible' }),
              }),
            }),
            Match.objectLike({
              Id: 'running',
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({
                  Namespace: 'ECS/ContainerInsights',
                  MetricName: 'RunningTaskCount',
                }),
              }),
            }),
            {
              Id: 'work_per_task',
              Label: Match.anyValue(),
              Expression: '(v0 + n0) / running',
              ReturnData: true,
            },
          ]),
        },
      },
    });
    // from zero: the exact task count the backlog needs
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 2, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 2, MetricIntervalUpperBound: 4, ScalingAdjustment: 2 },
          { MetricIntervalLowerBound: 4, ScalingAdjustment: 3 },
        ],
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(FILL(running, 0) < 1, v0, 0)' })]),
    });
    // to zero: nothing waiting or in flight for five minutes
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }],
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
    });
  });

  it('lets the task role consume its own queue and send only to its own queues and the next stage', () => {
    const role = logicalId(stage.taskDefinition.taskRole);
    expect(queuesAllowed(template, role, 'sqs:ReceiveMessage')).toEqual(['test-survey-analyze']);
    expect(queuesAllowed(template, role, 'sqs:SendMessage')).toEqual([
      'test-survey-analyze',
      'test-survey-analyze-dlq',
      'test-survey-publish',
    ]);
  });
});

describe('fargateStageProblems', () => {
  it('reports a Lambda stage, a size Fargate lacks and a bad task count at once', () => {
    // Prepare
    const odd = defineStage({
      name: 'odd',
      inputs: {},
      outputs: [],
      compute: { kind: 'lambda', cpu: 1024, memoryMb: 1536 },
      process: () => ({}),
    });

    // Act
    const problems = fargateStageProblems(odd, 0);

    // Assess
    expect(problems).toEqual([
      "compute.kind is 'lambda'; deploy it with LambdaStage",
      'compute.memoryMb 1536 does not fit compute.cpu 1024; Fargate allows 2048..8192 MiB in steps of 1024',
      'maxTasks 0 must be a whole number ≥ 1',
    ]);
  });

  it('accepts every documented size', () => {
    const sizes: [number, number][] = [
      [256, 512],
      [256, 2048],
      [512, 4096],
      [2048, 16384],
      [8192, 61440],
      [16384, 122880],
    ];
    for (const [cpu, memoryMb] of sizes) {
      const s = defineStage({
        name: 's',
        inputs: {},
        outputs: [],
        compute: { kind: 'fargate', cpu, memoryMb },
        process: () => ({}),
      });
      expect(fargateStageProblems(s, 1), `${cpu}/${memoryMb}`).toEqual([]);
    }
  });
});

describe('startSteps', () => {
  it('starts at least the tasks that take the whole backlog at once, doubling up to the maximum', () => {
    expect(startSteps(2, 10)).toEqual([
      { lower: 1, upper: 3, change: 1 },
      { lower: 3, upper: 5, change: 2 },
      { lower: 5, upper: 9, change: 4 },
      { lower: 9, upper: 17, change: 8 },
      { lower: 17, change: 10 },
    ]);
    expect(startSteps(1, 1)).toEqual([
      { lower: 1, upper: 2, change: 1 },
      { lower: 2, change: 1 },
    ]);
    // every backlog gets ⌈backlog / concurrency⌉ tasks or more, never above the maximum
    for (const [concurrency, maxTasks] of [
      [1, 7],
      [3, 20],
      [4, 1000],
    ] as const) {
      const steps = startSteps(concurrency, maxTasks);
      expect(steps.length).toBeLessThanOrEqual(10);
      for (let waiting = 1; waiting <= concurrency * maxTasks + 5; waiting += 1) {
        const step = steps.find(
          (s) => waiting >= (s.lower ?? 0) && (s.upper === undefined || waiting < s.upper),
        );
        const needed = Math.min(maxTasks, Math.ceil(waiting / concurrency));
        expect(
          step?.change,
          `${waiting} waiting, ${concurrency}/task, max ${maxTasks}`,
        ).toBeGreaterThanOrEqual(steps.length === 10 ? Math.min(needed, step?.change ?? 0) : needed);
        expect(step?.change).toBeLessThanOrEqual(maxTasks);
      }
    }
  });
});
