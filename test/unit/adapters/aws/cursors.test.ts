import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsBackend, createAwsBackend, provisionAws } from '../../../../lib/adapters/aws/index.js';
import { awsTestConfig, motoEndpoint } from '../../../contract/aws-harness.js';
import { jobRecord, uniquePrefix } from '../../../support/factories.js';

// A crafted cursor is the caller's mistake (400 BAD_CURSOR), never a query DynamoDB refuses (5xx):
// on moto_server a starting key of the wrong shape even fails the whole request.

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
let backend: AwsBackend;

beforeAll(async () => {
  const endpoint = motoEndpoint();
  if (endpoint === undefined) throw new Error('moto_server is not running');
  const config = awsTestConfig(endpoint);
  backend = createAwsBackend(config);
  await provisionAws(config, backend.clients, backend.queue, []);
});

describe('DynamoDB cursors', () => {
  it('refuses a records cursor of the right partition but the wrong shape, and pages with a real one', async () => {
    // Prepare
    const tenant = uniquePrefix().replace(/-$/, '');
    const collection = `oma/${tenant}/analyses/s`;
    for (const id of ['r0', 'r1', 'r2']) await backend.records.putRecord(tenant, collection, id, { id });
    const first = await backend.records.listRecords(tenant, collection, { limit: 1 });
    const key = JSON.parse(Buffer.from(first.cursor ?? '', 'base64url').toString()) as Record<string, string>;
    // Act
    const crafted = [
      { ...key, sk: 5 },
      { pk: key.pk },
      { ...key, extra: 'x' },
      { ...key, sk: '' },
      { ...key, pk: `${key.pk}x` },
    ].map((value) =>
      backend.records.listRecords(tenant, collection, { cursor: encode(value) }).catch((e: unknown) => e),
    );
    // Assess
    for (const error of await Promise.all(crafted)) expect(error).toMatchObject({ code: 'BAD_CURSOR' });
    expect(
      (await backend.records.listRecords(tenant, collection, { cursor: first.cursor ?? '' })).items,
    ).toHaveLength(2);
  });

  it("refuses a jobs cursor of the wrong shape or naming another tenant's key", async () => {
    // Prepare
    const tenant = uniquePrefix().replace(/-$/, '');
    for (let i = 0; i < 3; i += 1) await backend.store.createJob(jobRecord({ tenant_id: tenant }));
    const first = await backend.store.listJobs({ tenant_id: tenant, limit: 1 });
    const key = JSON.parse(Buffer.from(first.cursor ?? '', 'base64url').toString()) as Record<string, string>;
    // Act
    const crafted = [
      { ...key, sk: 7 },
      { tenant_id: tenant },
      { ...key, extra: 'x' },
      { ...key, pk: `other#J#${String(key.pk).split('#J#')[1]}` },
    ].map((value) =>
      backend.store.listJobs({ tenant_id: tenant, cursor: encode(value) }).catch((e: unknown) => e),
    );
    const byStatus = await backend.store
      .listJobs({ tenant_id: tenant, status: 'QUEUED', cursor: first.cursor ?? '' })
      .catch((e: unknown) => e);
    // Assess
    for (const error of await Promise.all(crafted)) expect(error).toMatchObject({ code: 'BAD_CURSOR' });
    // A cursor of the listing by creation does not fit the listing by status (another index).
    expect(byStatus).toMatchObject({ code: 'BAD_CURSOR' });
    expect(
      (await backend.store.listJobs({ tenant_id: tenant, cursor: first.cursor ?? '' })).items,
    ).toHaveLength(2);
  });
});
