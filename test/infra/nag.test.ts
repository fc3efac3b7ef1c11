import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { configOf, deployedServices, fastApp, withFargateService } from './support.js';

const variants = [
  { name: 'dev with the deployed pipelines', env: 'dev', overrides: {}, withFargate: false },
  {
    name: 'prod with a Fargate stage in private subnets',
    env: 'prod',
    overrides: { alarms: { requireSubscriber: true, emails: ['oncall@acme.io'] } },
    withFargate: true,
  },
  {
    name: 'staging with egress limited to the endpoints and prefix lists',
    env: 'staging',
    overrides: { fargate: { natGateways: 1, egressPrefixListIds: ['pl-63a5400a', 'pl-02cd2c6b'] } },
    withFargate: true,
  },
  {
    name: 'dev with a Fargate stage in public subnets and an existing alarm topic',
    env: 'dev',
    overrides: { alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' } },
    withFargate: true,
  },
];

function build(variant: (typeof variants)[number]): StagecoachStack {
  return new StagecoachStack(fastApp(), `Nag-${variant.env}`, {
    environmentName: variant.env,
    config: configOf(variant.env, variant.overrides),
    services: variant.withFargate ? withFargateService : deployedServices,
  });
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(Object(entry.data)).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason: String(reason),
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports findings on an insecure stack (the check itself works)', () => {
    // Prepare
    const stack = new Stack(fastApp(), 'Insecure');
    new s3.Bucket(stack, 'Open');
    new sqs.Queue(stack, 'Plain');

    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1',
        'AwsSolutions-S10',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
      ]),
    );
  });

  it.each(variants)('finds nothing unacknowledged: $name', (variant) => {
    // Prepare
    const stack = build(variant);
    Template.fromStack(stack); // runs synthesis, so every resource exists

    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    const findings = report.violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges each finding on the construct it concerns, with a reason', () => {
    // Prepare
    const variant = variants[1];
    if (variant === undefined) throw new Error('the prod variant is defined above');
    const stack = build(variant);

    // Act: ours (aws-cdk-lib records a few of its own on the stack)
    const acks = acknowledgements(stack).filter((ack) => /AwsSolutions-|W2531/.test(ack.id));

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.path, ack.id).not.toBe(stack.node.path);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
    }
    const rules = new Set(acks.map((ack) => ack.id.replace(/^annotation::/i, '').replace(/\[.*$/, '')));
    expect([...rules].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR3',
      'AwsSolutions-CFR4',
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
    ]);
  });
});
