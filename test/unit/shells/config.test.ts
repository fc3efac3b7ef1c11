import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/core/ports/index.js';
import { ENV, loadConfig, resourcesToEnv } from '../../../lib/shells/config.js';

const resources = {
  AWS_REGION: 'eu-west-1',
  STAGECOACH_JOBS_TABLE: 'jobs',
  STAGECOACH_EVENT_BUS: 'bus',
  STAGECOACH_BUCKET: 'bucket',
};

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a function configuration, with defaults and one table for jobs and connections', () => {
    const config = loadConfig('api', { ...resources, STAGECOACH_SERVICES: 'oma, wordcount' });
    expect(config).toMatchObject({
      region: 'eu-west-1',
      jobsTable: 'jobs',
      connectionsTable: 'jobs',
      queuePrefix: '',
      eventSource: 'stagecoach',
      retentionDays: 90,
      tenantClaim: 'custom:tenant_id',
      services: ['oma', 'wordcount'],
    });
  });

  it('reads per-tenant limits as JSON in every function, and names what is wrong with them', () => {
    const limits =
      '{"default":{"submitsPerMinute":600,"runningPerStage":20},"tenants":{"acme":{"submitsPerMinute":6000,"running":{"oma/FDD":4}}}}';
    const expected = {
      default: { submitsPerMinute: 600, runningPerStage: 20 },
      tenants: { acme: { submitsPerMinute: 6000, running: { 'oma/FDD': 4 } } },
    };
    expect(loadConfig('api', { ...resources, STAGECOACH_LIMITS: limits }).limits).toEqual(expected);
    expect(
      loadConfig('stage', {
        ...resources,
        STAGECOACH_PIPELINE: 'oma',
        STAGECOACH_STAGE: 'FDD',
        STAGECOACH_LIMITS: limits,
      }).limits,
    ).toEqual(expected);
    expect(problems(() => loadConfig('api', { ...resources, STAGECOACH_LIMITS: '{default:' }))).toEqual([
      `${ENV.limits} must be JSON such as {"default":{"submitsPerMinute":600,"runningPerStage":20}} (got '{default:')`,
    ]);
    expect(
      problems(() =>
        loadConfig('api', { ...resources, STAGECOACH_LIMITS: '{"default":{"running":{"FDD":4}}}' }),
      ).join(),
    ).toContain('must name a stage as pipeline/stage');
    expect(
      problems(() => loadConfig('api', { ...resources, STAGECOACH_LIMITS: '{"default":{"perMinute":5}}' })),
    ).toHaveLength(1);
  });

  it('names every missing variable at once', () => {
    expect(problems(() => loadConfig('stage', { AWS_REGION: 'eu-west-1' }))).toEqual([
      `${ENV.jobsTable} is required: the DynamoDB table of jobs, events and attempts`,
      `${ENV.connectionsTable} is required: the DynamoDB table of WebSocket connections`,
      `${ENV.eventBus} is required: the EventBridge bus name`,
      `${ENV.bucket} is required: the S3 bucket for inputs and outputs`,
      `${ENV.pipeline} is required: the pipeline of the stage this function runs`,
      `${ENV.stage} is required: the stage this function runs`,
    ]);
  });

  it('names a bad value with what it must be and what it got', () => {
    expect(problems(() => loadConfig('worker', { ...resources, STAGECOACH_CONCURRENCY: '-1' }))).toEqual([
      "STAGECOACH_CONCURRENCY must be a whole number of at least 0 (got '-1')",
    ]);
    expect(problems(() => loadConfig('api', { ...resources, AWS_ENDPOINT_URL: 'localhost' }))).toEqual([
      "AWS_ENDPOINT_URL must be a URL such as http://localhost:4566 (got 'localhost')",
    ]);
  });

  it('requires the WebSocket endpoint only of the functions that push', () => {
    expect(problems(() => loadConfig('fanout', resources))).toEqual([
      'STAGECOACH_WS_ENDPOINT is required: the WebSocket API endpoint events are pushed through',
    ]);
    expect(loadConfig('listeners', resources).websocketEndpoint).toBeUndefined();
  });

  it('reads the authorizer without any of the deployment resources', () => {
    expect(
      loadConfig('wsAuthorizer', {
        STAGECOACH_USER_POOL_ID: 'eu-west-1_abc',
        STAGECOACH_USER_POOL_CLIENT_ID: 'client',
      }),
    ).toEqual({ userPoolId: 'eu-west-1_abc', userPoolClientId: 'client', tenantClaim: 'custom:tenant_id' });
  });

  it('round-trips through the variables the CDK app and the tests set', () => {
    const config = loadConfig('sweeper', { ...resources, STAGECOACH_SERVICES: 'oma' });
    expect(loadConfig('sweeper', { AWS_REGION: 'eu-west-1', ...resourcesToEnv(config) })).toEqual(config);
  });
});
