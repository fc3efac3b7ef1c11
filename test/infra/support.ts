import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import type { Service } from '../../lib/core/api/index.js';
import { definePipeline, defineStage, type Pipeline } from '../../lib/core/sdk/index.js';
import { type EnvironmentConfig, environmentConfig } from '../../lib/infra/config.js';
import { LifecycleEvents } from '../../lib/infra/lifecycle-events.js';
import type { ServiceResources } from '../../lib/infra/service-resources.js';
import { JobsState } from '../../lib/infra/state.js';
import { Storage } from '../../lib/infra/storage.js';
import { registry } from '../../lib/pipelines/registry.js';

/** cdk.json as the CDK CLI reads it. */
export const cdkJson: { readonly context: Record<string, unknown> } = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
);

/**
 * An app for assertion tests: no bundling (the asset hash is a placeholder) and no built-in
 * CloudFormation validation, so a synth takes well under a second.
 */
export function fastApp(): App {
  return new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
}

/** An app that bundles for real into a fresh directory (for checks on the bundle itself). */
export function bundlingApp(): App {
  return new App({
    builtinCloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
  });
}

/** The block of an environment from cdk.json with `overrides` merged in, validated. */
export function configOf(name: string, overrides: Record<string, unknown> = {}): EnvironmentConfig {
  const environments = cdkJson.context.environments;
  const block: unknown =
    typeof environments === 'object' && environments !== null
      ? Object.entries(environments).find(([key]) => key === name)?.[1]
      : undefined;
  const base = typeof block === 'object' && block !== null ? block : {};
  return environmentConfig({ [name]: { ...base, ...overrides } }, name);
}

/** The shared resources a stage construct needs, in a fresh stack. */
export function serviceResources(scope: Construct): ServiceResources {
  const state = new JobsState(scope, 'State');
  const events = new LifecycleEvents(scope, 'Events');
  const storage = new Storage(scope, 'Storage');
  return {
    state,
    events,
    storage,
    environment: { STAGECOACH_QUEUE_PREFIX: 'test-', STAGECOACH_JOBS_TABLE: state.jobsTable.tableName },
  };
}

const stage = (name: string, compute: Parameters<typeof defineStage>[0]['compute'] = {}) =>
  defineStage({ name, inputs: {}, outputs: [], compute, process: () => ({}) });

/** A pipeline whose middle stage runs on Fargate: prepare (Lambda) → analyze (Fargate) → publish (Lambda). */
export const fargatePipeline: Pipeline = definePipeline({
  name: 'survey',
  stages: [
    stage('prepare'),
    stage('analyze', { kind: 'fargate', cpu: 1024, memoryMb: 4096, concurrency: 2, maxTasks: 3 }),
    stage('publish'),
  ],
});

/** The logical id CloudFormation sees for a construct's default resource. */
export function logicalId(construct: Construct): string {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child)) throw new Error(`${construct.node.path} has no default resource`);
  const stack = Stack.of(construct);
  return String(stack.resolve(stack.getLogicalId(child)));
}

/** Renders a resolved ARN value with logical ids: `{"Fn::GetAtt":["Q","Arn"]}` → `Q`, joins kept readable. */
function renderResource(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(renderResource).join('');
  if (typeof value !== 'object' || value === null) return String(value);
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? ['', undefined];
  if (key === 'Fn::GetAtt' && Array.isArray(arg)) return String(arg[0]);
  if (key === 'Ref') return `<${String(arg)}>`;
  if (key === 'Fn::Join' && Array.isArray(arg)) {
    const [separator, parts] = arg;
    return Array.isArray(parts) ? parts.map(renderResource).join(String(separator)) : '';
  }
  return JSON.stringify(value);
}

/**
 * What a role may do, from every IAM policy attached to it: action → resources (logical ids for
 * `Fn::GetAtt` ARNs, readable strings for joins). Allow statements only.
 */
export function permissionsOf(template: Template, roleLogicalId: string): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  const policies = template.findResources('AWS::IAM::Policy');
  for (const policy of Object.values(policies)) {
    const roles: unknown[] = policy.Properties.Roles ?? [];
    if (!roles.some((role) => renderResource(role) === `<${roleLogicalId}>`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const actions: string[] = [statement.Action].flat();
      const resources: unknown[] = [statement.Resource].flat();
      for (const action of actions) {
        const set = allowed.get(action) ?? new Set<string>();
        for (const resource of resources) set.add(renderResource(resource));
        allowed.set(action, set);
      }
    }
  }
  return allowed;
}

/** Queue logical id → queue name, from a template. */
export function queueNames(template: Template): Map<string, string> {
  const queues = template.findResources('AWS::SQS::Queue');
  return new Map(Object.entries(queues).map(([id, queue]) => [id, String(queue.Properties.QueueName)]));
}

/** The queue names `action` is allowed on for a role, sorted. */
export function queuesAllowed(template: Template, roleLogicalId: string, action: string): string[] {
  const names = queueNames(template);
  const resources = permissionsOf(template, roleLogicalId).get(action) ?? new Set<string>();
  return [...resources]
    .flatMap((resource) => {
      const name = names.get(resource);
      return name === undefined ? [] : [name];
    })
    .sort();
}

/** A bare stack in a fast app. */
export function fastStack(id = 'Test'): Stack {
  return new Stack(fastApp(), id);
}

/** The services the codebase registers, and the same with a service whose stage runs on Fargate. */
export const deployedServices = registry.select();
export const withFargateService: readonly Service[] = [
  ...deployedServices,
  { name: 'fargate-test', pipelines: [fargatePipeline] },
];
