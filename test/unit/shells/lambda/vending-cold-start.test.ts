import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoJobStore,
  DynamoRecordStore,
  S3BlobStore,
  TenantScopedBlobStore,
  TenantScopedJobStore,
} from '../../../../lib/adapters/aws/index.js';
import { ENV } from '../../../../lib/shells/config.js';
import { coldStart } from '../../../../lib/shells/lambda/context.js';

// The stage runners' cold start (a Lambda stage function, the Fargate worker) chooses where a run's
// storage and records go: with the tenant-session role's ARN, on the job's tenant's session (the
// moto test test/e2e/stage-tenant-sessions.test.ts runs a job that way); without it, on the
// function's own clients. Either way the runner's bookkeeping stays on the function's own role.
// The listeners function, like the API, serves each event in its tenant's scope; the API function
// serves each request in its caller's tenant scope.

function resources(): void {
  vi.stubEnv(ENV.region, 'eu-west-1');
  vi.stubEnv(ENV.jobsTable, 'jobs');
  vi.stubEnv(ENV.connectionsTable, 'connections');
  vi.stubEnv(ENV.eventBus, 'bus');
  vi.stubEnv(ENV.bucket, 'data');
  vi.stubEnv(ENV.services, 'wordcount');
  vi.stubEnv(ENV.pipeline, 'wordcount');
  vi.stubEnv(ENV.stage, 'count');
}

afterEach(() => vi.unstubAllEnvs());

describe('stage runner cold start', () => {
  it.each(['stage', 'worker'] as const)(
    'vends tenant sessions for the runs of a %s when the tenant-session role is configured',
    (role) => {
      // Prepare
      resources();
      vi.stubEnv(ENV.tenantRoleArn, 'arn:aws:iam::123456789012:role/tenant-access');

      // Act
      const ctx = coldStart(role, `stagecoach-${role}`);

      // Assess: a vendor for the runs, no request scope, and the bookkeeping on the function's own
      // store, queue and bus.
      expect(ctx.tenantSessions).toBeDefined();
      expect(ctx.tenantScope).toBeUndefined();
      expect(ctx.deployment.backend.store).toBe(ctx.backend.store);
      expect(ctx.deployment.backend.queue).toBe(ctx.backend.queue);
      expect(ctx.deployment.backend.events).toBe(ctx.backend.events);
    },
  );

  it.each(['stage', 'worker'] as const)(
    "keeps a %s's runs on the function's own clients without it",
    (role) => {
      // Prepare
      resources();

      // Act
      const ctx = coldStart(role, `stagecoach-${role}`);

      // Assess
      expect(ctx.tenantSessions).toBeUndefined();
      expect(ctx.deployment.backend.store).toBeInstanceOf(DynamoJobStore);
      expect(ctx.deployment.backend.blobs).toBeInstanceOf(S3BlobStore);
      expect(ctx.deployment.backend.records).toBeInstanceOf(DynamoRecordStore);
    },
  );

  it('refuses a tenant-session role that is not a role ARN, naming the variable', () => {
    // Prepare
    resources();
    vi.stubEnv(ENV.tenantRoleArn, 'tenant-access');

    // Act + Assess
    expect(() => coldStart('stage', 'stagecoach-stage')).toThrow(
      /STAGECOACH_TENANT_ROLE_ARN must be an IAM role ARN \(got 'tenant-access'\)/,
    );
  });
});

describe('listeners cold start', () => {
  it("puts the listeners' backend on the event tenant's session when the role is configured", () => {
    // Prepare
    resources();
    vi.stubEnv(ENV.tenantRoleArn, 'arn:aws:iam::123456789012:role/tenant-access');

    // Act
    const ctx = coldStart('listeners', 'stagecoach-listeners');

    // Assess
    expect(ctx.tenantScope).toBeDefined();
    expect(ctx.tenantSessions).toBeDefined();
    expect(ctx.deployment.backend.store).toBeInstanceOf(TenantScopedJobStore);
    expect(ctx.deployment.backend.blobs).toBeInstanceOf(TenantScopedBlobStore);
    expect(ctx.deployment.backend.events).toBe(ctx.backend.events);
  });

  it("keeps the function's own access without it", () => {
    resources();
    const ctx = coldStart('listeners', 'stagecoach-listeners');
    expect(ctx.tenantScope).toBeUndefined();
    expect(ctx.deployment.backend.blobs).toBeInstanceOf(S3BlobStore);
  });
});

describe('API cold start', () => {
  it('puts the deployment on tenant sessions when the tenant-session role is configured', () => {
    // Prepare
    resources();
    vi.stubEnv(ENV.tenantRoleArn, 'arn:aws:iam::123456789012:role/tenant-access');

    // Act
    const ctx = coldStart('api', 'stagecoach-api');

    // Assess
    expect(ctx.tenantScope).toBeDefined();
    expect(ctx.deployment.backend.store).toBeInstanceOf(TenantScopedJobStore);
    expect(ctx.deployment.backend.queue).toBe(ctx.backend.queue);
    expect(ctx.deployment.backend.events).toBe(ctx.backend.events);
  });

  it("keeps the function's own access without it", () => {
    resources();
    const ctx = coldStart('api', 'stagecoach-api');
    expect(ctx.tenantScope).toBeUndefined();
    expect(ctx.deployment.backend.store).toBeInstanceOf(DynamoJobStore);
    expect(ctx.deployment.backend.blobs).toBeInstanceOf(S3BlobStore);
  });
});
