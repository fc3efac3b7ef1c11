import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/core/ports/index.js';
import { ENVIRONMENTS_CONTEXT_KEY, environmentConfig, overridesFromContext } from '../../lib/infra/config.js';
import { cdkJson } from './support.js';

const environments = cdkJson.context[ENVIRONMENTS_CONTEXT_KEY];

/** The problems a ConfigError lists, or a failure if `act` does not throw one. */
function problemsOf(act: () => unknown): readonly string[] {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('environment configuration (cdk.json)', () => {
  it.each(['dev', 'staging', 'prod'])('validates the %s block', (name) => {
    // Act: prod names no subscriber in the repository; the deployer passes one
    const config = environmentConfig(
      environments,
      name,
      name === 'prod' ? { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' } : {},
    );

    // Assess
    expect(config.queuePrefix).toBe(`stagecoach-${name}-`);
    expect(config.removalPolicy).toBe(name === 'prod' ? 'retain' : 'destroy');
    expect(config.alarms.requireSubscriber).toBe(name === 'prod');
  });

  it('refuses prod when nobody would receive its alarms, and says how to name someone', () => {
    // Act
    const problems = problemsOf(() => environmentConfig(environments, 'prod'));

    // Assess
    expect(problems).toEqual([
      'environments.prod.alarms: nobody would receive the alarms: set alarms.emails or alarms.topicArn in cdk.json, or pass -c alarmEmails=ops@your.org or -c alarmTopicArn=arn:aws:sns:…',
    ]);
  });

  it('refuses example addresses where a subscriber is required, and takes real ones from -c', () => {
    // Prepare
    const context: Record<string, unknown> = { alarmEmails: ' oncall@acme.io, ops@acme.io ' };

    // Act
    const placeholder = problemsOf(() =>
      environmentConfig(environments, 'prod', { alarmEmails: ['ops@example.com', 'a@b.test'] }),
    );
    const overrides = overridesFromContext((key) => context[key]);
    const config = environmentConfig(environments, 'prod', overrides);

    // Assess
    expect(placeholder).toEqual([
      'environments.prod.alarms.emails.0: ops@example.com is a reserved example address that delivers nowhere; name a mailbox someone reads',
      'environments.prod.alarms.emails.1: a@b.test is a reserved example address that delivers nowhere; name a mailbox someone reads',
    ]);
    expect(overrides).toEqual({ alarmEmails: ['oncall@acme.io', 'ops@acme.io'] });
    expect(config.alarms.emails).toEqual(['oncall@acme.io', 'ops@acme.io']);
  });

  it('names every bad key at once, with its path', () => {
    // Prepare
    const bad = {
      dev: {
        queuePrefix: 'Stagecoach Dev',
        retentionDays: 0,
        removalPolicy: 'keep',
        logRetentionDays: 8,
        alarms: { emails: ['not-an-address'] },
        capacity: 3,
      },
    };

    // Act
    const problems = problemsOf(() => environmentConfig(bad, 'dev'));

    // Assess
    const keys = problems.map((problem) => problem.split(':')[0]);
    expect(keys).toEqual(
      expect.arrayContaining([
        'environments.dev.queuePrefix',
        'environments.dev.retentionDays',
        'environments.dev.removalPolicy',
        'environments.dev.logRetentionDays',
        'environments.dev.alarms.emails.0',
        'environments.dev',
      ]),
    );
    expect(problems.find((p) => p.startsWith('environments.dev.logRetentionDays'))).toContain('14');
    expect(problems.find((p) => p.startsWith('environments.dev:'))).toContain('capacity');
  });

  it('asks for -c env=<name> and lists the known environments', () => {
    // Act
    const missing = problemsOf(() => environmentConfig(environments, undefined));
    const unknown = problemsOf(() => environmentConfig(environments, 'qa'));

    // Assess
    expect(missing[0]).toContain('-c env=<name>');
    expect(unknown[0]).toBe("'qa' is not in cdk.json; use one of dev, staging, prod");
  });

  it('rejects an alarm topic that is not an SNS ARN', () => {
    // Prepare
    const block = { queuePrefix: 'x-', retentionDays: 7, removalPolicy: 'destroy', logRetentionDays: 7 };

    // Act
    const problems = problemsOf(() =>
      environmentConfig(
        { dev: { ...block, alarms: { topicArn: 'arn:aws:sqs:eu-west-1:123456789012:q' } } },
        'dev',
      ),
    );

    // Assess
    expect(problems).toEqual(['environments.dev.alarms.topicArn: must be an SNS topic ARN']);
  });
});
