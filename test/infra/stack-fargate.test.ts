import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FargateStage } from '../../lib/infra/fargate-stage.js';
import { LambdaStage } from '../../lib/infra/lambda-stage.js';
import { StagecoachStack } from '../../lib/infra/stack.js';
import {
  configOf,
  deployedServices,
  fargatePipeline,
  fastApp,
  logicalId,
  queuesAllowed,
  withFargateService,
} from './support.js';

const pipelines = deployedServices.flatMap((s) => s.pipelines);

describe('StagecoachStack with a Fargate stage', () => {
  let stack: StagecoachStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: dev runs tasks in public subnets (no NAT) and caps them at 2
    const config = configOf('dev');

    // Act
    stack = new StagecoachStack(fastApp(), 'Stagecoach-fargate', {
      environmentName: 'dev',
      config,
      services: withFargateService,
    });
    template = Template.fromStack(stack);
  });

  it('runs Fargate stages on Fargate and every other stage on Lambda', () => {
    expect(stack.stages.get('survey/prepare')).toBeInstanceOf(LambdaStage);
    expect(stack.stages.get('survey/analyze')).toBeInstanceOf(FargateStage);
    expect(stack.stages.get('survey/publish')).toBeInstanceOf(LambdaStage);
    // One service per Fargate stage (the deployed pipelines have some too: oma/analyze), one cluster.
    const fargateStages = [...pipelines, fargatePipeline]
      .flatMap((p) => p.stages)
      .filter((st) => st.compute.kind === 'fargate');
    expect(stack.stages.get('oma/analyze')).toBeInstanceOf(FargateStage);
    template.resourceCountIs('AWS::ECS::Service', fargateStages.length);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('caps the tasks at the environment limit and gives them public IPs where there is no NAT', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 2,
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });

  it('forwards Lambda → Fargate → Lambda with the same least privilege', () => {
    const role = (key: string) => {
      const deployed = stack.stages.get(key);
      if (deployed === undefined) throw new Error(`no stage ${key}`);
      return logicalId(deployed.runnerRole);
    };
    const prefix = 'stagecoach-dev-survey';
    expect(queuesAllowed(template, role('survey/prepare'), 'sqs:SendMessage')).toEqual([
      `${prefix}-analyze`,
      `${prefix}-prepare`,
      `${prefix}-prepare-dlq`,
    ]);
    expect(queuesAllowed(template, role('survey/analyze'), 'sqs:ReceiveMessage')).toEqual([
      `${prefix}-analyze`,
    ]);
    expect(queuesAllowed(template, role('survey/analyze'), 'sqs:SendMessage')).toEqual([
      `${prefix}-analyze`,
      `${prefix}-analyze-dlq`,
      `${prefix}-publish`,
    ]);
    expect(queuesAllowed(template, logicalId(stack.deadLetters.role), 'sqs:ReceiveMessage')).toContain(
      `${prefix}-analyze-dlq`,
    );
  });
});
