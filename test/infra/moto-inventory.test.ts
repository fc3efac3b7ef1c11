import type { StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import type { MotoDeployment } from './moto/deploy.js';
import { formatInventory, takeInventory } from './moto/inventory.js';
import type { Probe } from './moto/probes.js';
import { matchesTemplate } from './moto/probes.js';
import { type CfnTemplate, motoCopy } from './moto/template.js';

/**
 * The inventory is what keeps a moto deploy from passing while moto failed: these cases feed it a
 * deployment that looks complete and check that each kind of silent failure becomes a problem.
 */

const summary = (logicalId: string, type: string): StackResourceSummary => ({
  LogicalResourceId: logicalId,
  ResourceType: type,
  PhysicalResourceId: `physical-${logicalId}`,
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: new Date(0),
});
/** What moto lists for a resource of a type it has no model for. */
const placeholder: StackResourceSummary = {
  LogicalResourceId: '',
  ResourceType: '',
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: new Date(0),
};

const deploymentOf = (template: CfnTemplate, resources: StackResourceSummary[]): MotoDeployment => ({
  stackName: 'Fake',
  status: 'CREATE_COMPLETE',
  resources,
  copy: motoCopy(template, new Set()),
});

const found: Probe = async () => undefined;
const missing: Probe = async (t) => {
  throw new Error(`${t.physicalId} not found`);
};

describe('takeInventory', () => {
  const template: CfnTemplate = {
    Resources: {
      Jobs: { Type: 'AWS::DynamoDB::Table' },
      QueueA: { Type: 'AWS::SQS::Queue' },
      QueueB: { Type: 'AWS::SQS::Queue' },
      Alarm: { Type: 'AWS::CloudWatch::Alarm' },
    },
  };

  it('counts what is listed and found as created, and an allowlisted type moto left out as skipped', async () => {
    // Prepare
    const deployment = deploymentOf(template, [
      summary('Jobs', 'AWS::DynamoDB::Table'),
      summary('QueueA', 'AWS::SQS::Queue'),
      summary('QueueB', 'AWS::SQS::Queue'),
      placeholder,
    ]);
    const probes = new Map([
      ['AWS::DynamoDB::Table', found],
      ['AWS::SQS::Queue', found],
    ]);

    // Act
    const inventory = await takeInventory(template, deployment, probes);

    // Assess
    expect(inventory.problems).toEqual([]);
    expect(inventory.skippedTypes).toEqual(['AWS::CloudWatch::Alarm']);
    expect(inventory.rows.find((r) => r.type === 'AWS::SQS::Queue')).toMatchObject({
      created: 2,
      skipped: 0,
    });
    expect(formatInventory('Fake', inventory.rows)).toMatch(/AWS::CloudWatch::Alarm +1 +0 +1 +no-model/);
  });

  it('reports a resource moto lists but its API does not find, and the type as partly created', async () => {
    // Prepare
    const deployment = deploymentOf(template, [
      summary('Jobs', 'AWS::DynamoDB::Table'),
      summary('QueueA', 'AWS::SQS::Queue'),
      summary('QueueB', 'AWS::SQS::Queue'),
      placeholder,
    ]);
    const probes = new Map([
      ['AWS::DynamoDB::Table', found],
      [
        'AWS::SQS::Queue',
        async (t: Parameters<Probe>[0]) => (t.logicalId === 'QueueB' ? missing(t) : undefined),
      ],
    ]);

    // Act
    const inventory = await takeInventory(template, deployment, probes);

    // Assess
    expect(inventory.problems).toEqual([
      'QueueB (AWS::SQS::Queue) is listed by moto but not as the template says: Error: physical-QueueB not found',
      'AWS::SQS::Queue: 1 of 2 created',
    ]);
  });

  it('reports a type without a probe, a resource moto neither made nor skipped, and an unlisted skip', async () => {
    // Prepare: the table has no probe; QueueB is simply absent (no placeholder stands for it)
    const withUnknown: CfnTemplate = {
      Resources: { ...template.Resources, Widget: { Type: 'AWS::Widget::Thing' } },
    };
    const deployment = deploymentOf(withUnknown, [
      summary('Jobs', 'AWS::DynamoDB::Table'),
      summary('QueueA', 'AWS::SQS::Queue'),
      placeholder,
    ]);

    // Act
    const inventory = await takeInventory(withUnknown, deployment, new Map([['AWS::SQS::Queue', found]]));

    // Assess
    expect(inventory.problems).toEqual([
      'Jobs: moto creates AWS::DynamoDB::Table, and test/infra/moto/probes.ts has no probe for it',
      'AWS::SQS::Queue: 1 of 2 created',
      'moto lists 1 unnamed placeholders but left 3 resources of the copy uncreated',
    ]);
    expect(inventory.rows.find((r) => r.type === 'AWS::Widget::Thing')?.note).toBe('NOT ALLOWLISTED');
  });
});

describe('matchesTemplate', () => {
  it('takes any string where the template has an intrinsic, and nothing else that differs', () => {
    const expected = { detail: { clusterArn: [{ 'Fn::GetAtt': ['Cluster', 'Arn'] }] }, source: ['aws.ecs'] };
    expect(matchesTemplate({ source: ['aws.ecs'], detail: { clusterArn: ['arn:x'] } }, expected)).toBe(true);
    expect(matchesTemplate({ source: ['aws.ecs'], detail: { clusterArn: [''] } }, expected)).toBe(false);
    expect(matchesTemplate({ source: ['aws.ec2'], detail: { clusterArn: ['arn:x'] } }, expected)).toBe(false);
    expect(matchesTemplate({ source: ['aws.ecs'] }, expected)).toBe(false);
  });
});
