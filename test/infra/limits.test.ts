import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/core/ports/index.js';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { configOf, fastApp, withFargateService } from './support.js';

// Per-tenant limits are one block of an environment in cdk.json; every function reads them
// (the API limits submits, the stage functions and the Fargate worker the jobs running a stage).
describe('per-tenant limits in cdk.json', () => {
  it('reach every Lambda function and every Fargate task as STAGECOACH_LIMITS', () => {
    // Prepare
    const limits = {
      default: { submitsPerMinute: 600, runningPerStage: 20 },
      tenants: { acme: { running: { 'survey/analyze': 1 } } },
    };
    // Act
    const stack = new StagecoachStack(fastApp(), 'Stagecoach-limits', {
      environmentName: 'dev',
      config: configOf('dev', { limits }),
      services: withFargateService,
    });
    const template = Template.fromStack(stack);
    // Assess
    const json = JSON.stringify(limits);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const withLimits = functions.filter(
      (f) => f.Properties?.Environment?.Variables?.STAGECOACH_LIMITS === json,
    );
    // the stack's own functions (not CDK's custom-resource helpers, which have no STAGECOACH_* at all)
    const ours = functions.filter(
      (f) => f.Properties?.Environment?.Variables?.STAGECOACH_JOBS_TABLE !== undefined,
    );
    expect(ours.length).toBeGreaterThan(5);
    expect(withLimits).toHaveLength(ours.length);
    const tasks = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      const variables: { Name: string; Value: unknown }[] =
        task.Properties.ContainerDefinitions[0].Environment;
      expect(variables.find((v) => v.Name === 'STAGECOACH_LIMITS')?.Value).toBe(json);
    }
  });

  it('refuses to synthesize limits for a stage the environment does not deploy, naming it', () => {
    const build = () =>
      new StagecoachStack(fastApp(), 'Stagecoach-bad-limits', {
        environmentName: 'dev',
        config: configOf('dev', { limits: { default: { running: { 'oma/NOPE': 2 } } } }),
      });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/'oma\/NOPE'/);
  });

  it('refuses a limit that is not a whole number of at least 1, naming the key', () => {
    expect(() => configOf('dev', { limits: { tenants: { acme: { runningPerStage: 0 } } } })).toThrow(
      /limits\.tenants\.acme\.runningPerStage/,
    );
  });
});
