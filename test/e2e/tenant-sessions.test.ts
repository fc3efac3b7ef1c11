import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsBackend,
  createAwsBackend,
  createStsClient,
  createTenantSessionBackend,
  provisionAws,
  type TenantSessionBackend,
} from '../../lib/adapters/aws/index.js';
import { defineService } from '../../lib/core/api/index.js';
import { Topology } from '../../lib/core/engine/index.js';
import { tenantBlobs } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../lib/core/sdk/index.js';
import { Deployment } from '../../lib/shells/deployment.js';
import { createHttpHandler } from '../../lib/shells/lambda/http-handler.js';
import { awsTestConfig, motoEndpoint } from '../contract/aws-harness.js';
import { httpEvent } from '../support/lambda-events.js';

// The API function with token vending on, against moto_server: STS AssumeRole hands out session
// credentials and the tenant's DynamoDB and S3 clients use them. moto does not enforce IAM, so this
// shows the wiring (the tag, the round trip, the signed URL); test/infra/tenant-access.test.ts
// shows what IAM then allows and denies.

const endpoint = motoEndpoint();
const ROLE = 'arn:aws:iam::123456789012:role/stagecoach-tenant-access';
const one = defineStage({ name: 'one', inputs: {}, outputs: [], process: () => ({}) });
const pipeline = definePipeline({ name: 'vend', stages: [one] });
const service = defineService({ name: 'vend', pipelines: [pipeline] });
const claims = (tenant: string) => ({ 'custom:tenant_id': tenant, sub: 'user-1' });

describe.skipIf(endpoint === undefined)('the API on tenant sessions (moto_server)', () => {
  let base: AwsBackend;
  let tenants: TenantSessionBackend;
  let handler: ReturnType<typeof createHttpHandler>;
  /** Every AssumeRole request the vendor sent, as it left the client. */
  const assumed: object[] = [];

  beforeAll(async () => {
    // Prepare: fresh resources, and an STS client that records what it is asked.
    const config = awsTestConfig(endpoint ?? '');
    base = createAwsBackend(config, { eventLingerMs: 5 });
    await provisionAws(
      config,
      base.clients,
      base.queue,
      new Topology([pipeline], config.queuePrefix).specs(),
    );
    const sts = createStsClient(config);
    sts.middlewareStack.add(
      (next) => async (args) => {
        assumed.push(args.input);
        return next(args);
      },
      { step: 'initialize', name: 'recordAssumeRole' },
    );
    tenants = createTenantSessionBackend(base, { sts, roleArn: ROLE });
    const deployment = new Deployment({
      backend: tenants.backend,
      services: [service],
      prefix: config.queuePrefix,
    });
    handler = createHttpHandler(deployment.httpApi(), { scope: tenants.scope });
  });

  it('submits, reads and lists a job on the caller’s session, assumed once with the tenant tag', async () => {
    // Act
    const created = await handler(
      httpEvent('POST', '/jobs', { body: { pipeline: 'vend' }, claims: claims('tenant-a') }),
    );
    const job: { job_id: string; tenant_id: string } = JSON.parse(created.body ?? '{}');
    const read = await handler(httpEvent('GET', `/jobs/${job.job_id}`, { claims: claims('tenant-a') }));
    const listed = await handler(httpEvent('GET', '/jobs', { claims: claims('tenant-a') }));

    // Assess: the round trip
    expect(created.statusCode, created.body).toBe(201);
    expect(job.tenant_id).toBe('tenant-a');
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body ?? '{}')).toMatchObject({ job_id: job.job_id, status: 'QUEUED' });
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body ?? '{}').items.map((j: { job_id: string }) => j.job_id)).toContain(
      job.job_id,
    );
    // ... on one session, tagged with the tenant
    expect(assumed).toEqual([
      {
        RoleArn: ROLE,
        RoleSessionName: 'tenant-tenant-a',
        DurationSeconds: 3_600,
        Tags: [{ Key: 'tenant', Value: 'tenant-a' }],
      },
    ]);
    const session = await tenants.sessions.session('tenant-a');
    expect(session.credentials.sessionToken.length).toBeGreaterThan(0);
    // ... and the job is really in the table, and its tenant in the registry (the function's client).
    expect(await base.store.getJob('tenant-a', job.job_id)).toMatchObject({ status: 'QUEUED' });
    expect((await base.store.listTenants()).items).toContain('tenant-a');
  });

  it("gives another tenant its own session, and does not show it the first tenant's job", async () => {
    // Prepare
    const created = await handler(
      httpEvent('POST', '/jobs', { body: { pipeline: 'vend' }, claims: claims('tenant-a') }),
    );
    const id: string = JSON.parse(created.body ?? '{}').job_id;

    // Act
    const theirs = await handler(httpEvent('GET', `/jobs/${id}`, { claims: claims('tenant-b') }));

    // Assess
    expect(theirs.statusCode).toBe(404);
    expect(assumed.map((input) => ('Tags' in input ? input.Tags : undefined))).toContainEqual([
      { Key: 'tenant', Value: 'tenant-b' },
    ]);
    expect(tenants.sessions.size).toBe(2);
  });

  it("presigns a tenant's upload with the tenant's session credentials, and the URL works", async () => {
    // Prepare
    const session = await tenants.sessions.session('tenant-a');

    // Act
    const url = await tenants.scope.run('tenant-a', () =>
      tenantBlobs(tenants.backend.blobs, 'tenant-a').presign('documents/a.csv', {
        method: 'PUT',
        contentType: 'text/csv',
      }),
    );
    const put = await fetch(url, {
      method: 'PUT',
      body: 'a,b\n1,2\n',
      headers: { 'content-type': 'text/csv' },
    });

    // Assess
    const query = new URL(url).searchParams;
    expect(query.get('X-Amz-Credential')?.split('/')[0]).toBe(session.credentials.accessKeyId);
    expect(query.get('X-Amz-Security-Token')).toBe(session.credentials.sessionToken);
    expect(put.status).toBe(200);
    expect(await base.blobs.head('tenants/tenant-a/documents/a.csv')).toMatchObject({ size: 8 });
  });
});
