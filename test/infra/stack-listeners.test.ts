import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineListener } from '../../lib/core/sdk/index.js';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { examplePipeline } from '../../lib/pipelines/example/index.js';
import { ENV } from '../../lib/shells/config.js';
import { configOf, fastApp, logicalId, permissionsOf } from './support.js';

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

  it("lets listeners use the table and publish, reach objects only on an event's tenant session, and not touch queues", () => {
    // Prepare
    const role = stack.listeners?.role;
    const fn = stack.listeners?.function;
    if (role === undefined || fn === undefined) throw new Error('the stack has listeners');
    const session = logicalId(stack.tenantAccess.role);

    // Act
    const allowed = permissionsOf(template, logicalId(role));
    const actions = [...allowed.keys()];
    const trust = template.findResources('AWS::IAM::Role')[session]?.Properties.AssumeRolePolicyDocument;

    // Assess: exactly these services, and no object of its own
    expect([...new Set(actions.map((action) => action.split(':')[0]))].sort()).toEqual([
      'dynamodb',
      'events',
      'logs',
      'sts',
      'xray',
    ]);
    expect(allowed.get('dynamodb:PutItem')?.size).toBeGreaterThan(0);
    expect(allowed.get('events:PutEvents')?.size).toBe(1);
    expect(allowed.get('sts:AssumeRole')).toEqual(new Set([session]));
    expect(allowed.get('sts:TagSession')).toEqual(new Set([session]));
    expect(JSON.stringify(trust?.Statement?.[1])).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(role), 'Arn'] }),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [logicalId(role), 'Arn'] },
      Environment: {
        Variables: Match.objectLike({ [ENV.tenantRoleArn]: { 'Fn::GetAtt': [session, 'Arn'] } }),
      },
    });
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
