import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/core/ports/index.js';
import { buildStagecoachApp, stackName } from '../../lib/infra/app.js';
import { cdkJson } from './support.js';

type CfnTemplate = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
};

// One output directory for every environment: the function bundles are the same, so each is built once.
const outdir = mkdtempSync(join(tmpdir(), 'cdk-environments-'));

/** Who receives prod's alarms, as a deployer passes it (`-c alarmTopicArn=…`). */
const PROD_SUBSCRIBER = { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' };

/** The app as `cdk synth -c env=<name>` builds it: cdk.json context, bundling, cdk-nag. */
function synth(env: string, context: Record<string, unknown> = cdkJson.context): CloudAssembly {
  const app = new App({
    context: { ...context, ...(env === 'prod' ? PROD_SUBSCRIBER : {}), env },
    outdir,
    // The built-in CloudFormation linter is slow and only warns; `cdk synth` still runs it.
    builtinCloudFormationValidation: false,
  });
  buildStagecoachApp(app);
  return app.synth();
}

const resourcesOf = (template: CfnTemplate, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);

describe.each(['dev', 'staging', 'prod'])('the %s environment', (env) => {
  let assembly: CloudAssembly;
  let template: CfnTemplate;

  beforeAll(() => {
    // Act: a finding of cdk-nag would make the synth throw
    assembly = synth(env);
    template = assembly.getStackByName(stackName(env)).template;
  });

  it('synthesizes one environment-agnostic stack', () => {
    expect(assembly.stacks.map((stack) => stack.stackName)).toEqual([`Stagecoach-${env}`]);
    const stack = assembly.getStackByName(stackName(env));
    expect(stack.environment.account).toBe('unknown-account');
    expect(stack.environment.region).toBe('unknown-region');
  });

  it('prefixes every queue with the environment', () => {
    const names = resourcesOf(template, 'AWS::SQS::Queue').map((queue) =>
      String(queue.Properties?.QueueName),
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name.startsWith(`stagecoach-${env}-`), name).toBe(true);
  });

  it(env === 'prod' ? 'retains data and protects it from deletion' : 'removes data with the stack', () => {
    const retain = env === 'prod';
    const stack = assembly.getStackByName(stackName(env));
    expect(stack.terminationProtection ?? false).toBe(retain);
    for (const table of resourcesOf(template, 'AWS::DynamoDB::Table')) {
      expect(table.DeletionPolicy).toBe(retain ? 'Retain' : 'Delete');
      expect(table.Properties?.DeletionProtectionEnabled).toBe(retain);
    }
    for (const bucket of resourcesOf(template, 'AWS::S3::Bucket'))
      expect(bucket.DeletionPolicy).toBe(retain ? 'Retain' : 'Delete');
    const [pool] = resourcesOf(template, 'AWS::Cognito::UserPool');
    expect(pool?.Properties?.DeletionProtection).toBe(retain ? 'ACTIVE' : 'INACTIVE');
  });
});

describe('the CDK app', () => {
  it('refuses to synthesize prod when nobody would receive its alarms', () => {
    // Prepare
    const app = new App({ context: { ...cdkJson.context, env: 'prod' }, outdir });

    // Act
    let error: unknown;
    try {
      buildStagecoachApp(app);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('environments.prod.alarms: nobody would receive the alarms');
  });

  it('fails fast, naming the bad key of the chosen environment', () => {
    // Prepare
    const environments = Object(cdkJson.context.environments);
    const context = { environments: { ...environments, dev: { ...environments.dev, logRetentionDays: 10 } } };

    // Act
    let error: unknown;
    try {
      synth('dev', context);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('environments.dev.logRetentionDays: must be one of 1, 3, 5, 7, 14');
  });
});
