import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../lib/core/engine/index.js';
import { defineStage } from '../../lib/core/sdk/index.js';
import { backlogScalingSteps, FargateStage, fargateStageProblems } from '../../lib/infra/fargate-stage.js';
import { fargatePipeline, fastApp, logicalId, queuesAllowed, serviceResources } from './support.js';

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
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
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
    const images: { source: { directory: string; dockerFile?: string; platform?: string } }[] = Object.values(
      manifest.dockerImages,
    );

    // Act
    const source = images[0]?.source;
    const context = join(app.outdir, source?.directory ?? 'missing');

    // Assess
    expect(images).toHaveLength(1);
    expect(source?.dockerFile).toBe('functions/Dockerfile');
    expect(source?.platform).toBe('linux/amd64');
    expect(existsSync(join(context, 'functions', 'worker.ts'))).toBe(true);
    expect(existsSync(join(context, 'package-lock.json'))).toBe(true);
    // .dockerignore keeps the build context small
    expect(existsSync(join(context, 'node_modules'))).toBe(false);
  });

  it('leaves the task count to scaling, in private subnets, with no inbound rule', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: Match.absent(),
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Stagecoach worker survey/analyze: outbound only',
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('scales from 0 to maxTasks: out on waiting messages, in to zero when nothing waits or runs', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 3,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [
          { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 7, ScalingAdjustment: 1 },
          { MetricIntervalLowerBound: 7, ScalingAdjustment: 2 },
        ],
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }],
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesVisible' }),
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 0,
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesNotVisible' }),
          }),
        }),
      ]),
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

describe('backlogScalingSteps', () => {
  it('adds one task while anything waits and a quarter of the maximum for a deep backlog', () => {
    expect(backlogScalingSteps(2, 20)).toEqual([
      { lower: 1, upper: 8, change: 1 },
      { lower: 8, change: 5 },
    ]);
    expect(backlogScalingSteps(1, 1)).toEqual([
      { lower: 1, upper: 4, change: 1 },
      { lower: 4, change: 2 },
    ]);
  });
});
