import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineListener } from '../../lib/core/sdk/index.js';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { examplePipeline } from '../../lib/pipelines/example/index.js';
import { configOf, fastApp, logicalId } from './support.js';

describe('StagecoachStack with listeners', () => {
  let stack: StagecoachStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: a service listening to two pipelines' job events
    const listener = defineListener({
      name: 'projector',
      pipelines: ['wordcount', 'survey'],
      handle: async () => undefined,
    });
    // Act
    stack = new StagecoachStack(fastApp(), 'Stagecoach-listeners', {
      environmentName: 'dev',
      config: configOf('dev'),
      services: [{ name: 'projecting', pipelines: [examplePipeline], listeners: [listener] }],
    });
    template = Template.fromStack(stack);
  });

  it('routes the durable job events of the listened pipelines to the listeners function', () => {
    const fn = stack.listeners?.function;
    expect(fn).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['stagecoach'],
        'detail-type': [{ 'anything-but': ['stage.progress'] }],
        detail: { pipeline: ['wordcount', 'survey'] },
      },
      Targets: Match.arrayWith([
        Match.objectLike({ Arn: { 'Fn::GetAtt': [fn === undefined ? '' : logicalId(fn), 'Arn'] } }),
      ]),
    });
  });

  it('lets listeners use records and storage and publish, but not touch queues', () => {
    const role = stack.listeners?.role;
    const roleId = role === undefined ? '?' : logicalId(role);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(policies.length).toBeGreaterThan(0);
    const actions = new Set(
      policies.flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
          Array.isArray(s.Action) ? s.Action : [s.Action],
        ),
      ),
    );
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions).toContain('s3:GetObject');
    expect(actions).toContain('events:PutEvents');
    expect([...actions].some((a) => a.startsWith('sqs:'))).toBe(false);
  });

  it('deploys no listeners function when there are no listeners', () => {
    const bare = new StagecoachStack(fastApp(), 'Stagecoach-bare', {
      environmentName: 'dev',
      config: configOf('dev'),
      services: [{ name: 'bare', pipelines: [examplePipeline] }],
    });
    expect(bare.listeners).toBeUndefined();
  });
});
