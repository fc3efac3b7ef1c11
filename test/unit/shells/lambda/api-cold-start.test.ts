import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoJobStore, S3BlobStore, TenantScopedJobStore } from '../../../../lib/adapters/aws/index.js';
import { ENV } from '../../../../lib/shells/config.js';
import { coldStart } from '../../../../lib/shells/lambda/context.js';

// The API function's cold start chooses its data access from the environment: with the
// tenant-session role's ARN, the deployment's store, records and blobs are tenant-scoped; without
// it (dev runtime, tests, emulators) they are the function's own, as before.

function resources(): void {
  vi.stubEnv(ENV.region, 'eu-west-1');
  vi.stubEnv(ENV.jobsTable, 'jobs');
  vi.stubEnv(ENV.connectionsTable, 'connections');
  vi.stubEnv(ENV.eventBus, 'bus');
  vi.stubEnv(ENV.bucket, 'data');
  vi.stubEnv(ENV.services, 'wordcount');
}

afterEach(() => vi.unstubAllEnvs());

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
