import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenantSessionStores } from '../../../../lib/adapters/aws/tenant-run-stores.js';
import {
  BackendUnavailableError,
  ConfigError,
  tenantBlobs,
  tenantRecords,
} from '../../../../lib/core/ports/index.js';

// The stage runners' stores on tenant sessions, with STS, S3 and DynamoDB mocked: which session a
// call is signed with is read from the credentials of the client that sent it.

const ROLE = 'arn:aws:iam::123456789012:role/tenant-access';
const config = { region: 'eu-west-1', bucket: 'data', jobsTable: 'jobs' };
const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

/** The access key of the client that sent the i-th call of a mock. */
async function signerOf(calls: readonly { thisValue: unknown }[], i: number): Promise<string> {
  const client = calls[i]?.thisValue;
  if (!(client instanceof S3Client) && !(client instanceof DynamoDBDocumentClient))
    throw new Error(`call ${i} was not sent by an S3 or DynamoDB client`);
  return (await client.config.credentials()).accessKeyId;
}

beforeEach(() => {
  let issued = 0;
  sts.on(AssumeRoleCommand).callsFake((input: { Tags?: { Value?: string }[] }) => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIA-${input.Tags?.[0]?.Value}-${issued}`,
        SecretAccessKey: 'secret',
        SessionToken: `token-${issued}`,
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
  s3.on(HeadObjectCommand).resolves({ ContentLength: 5, ContentType: 'text/plain' });
  dynamo.on(GetCommand).resolves({});
});
afterEach(() => {
  sts.reset();
  s3.reset();
  dynamo.reset();
});

function vend() {
  const region = { region: 'eu-west-1', credentials: { accessKeyId: 'FUNCTION', secretAccessKey: 'x' } };
  return createTenantSessionStores(config, { sts: new STSClient(region), roleArn: ROLE });
}

describe('createTenantSessionStores (a stage run on its job tenant’s session)', () => {
  it("signs a run's storage and records with its tenant's session, assumed once with the tenant tag", async () => {
    // Prepare
    const { stores } = vend();
    const acme = stores('acme');

    // Act: what ctx.storage and ctx.records of a run of acme do
    await tenantBlobs(acme.blobs, 'acme').put('out/a.txt', 'hello');
    await tenantRecords(acme.records, 'acme').getRecord('notes', 'n1');

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      {
        RoleArn: ROLE,
        RoleSessionName: 'tenant-acme',
        DurationSeconds: 3_600,
        Tags: [{ Key: 'tenant', Value: 'acme' }],
      },
    ]);
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts.map((c) => c.args[0].input.Key)).toEqual(['tenants/acme/out/a.txt']);
    expect(await signerOf(puts, 0)).toBe('ASIA-acme-1');
    expect(await signerOf(s3.commandCalls(HeadObjectCommand), 0)).toBe('ASIA-acme-1');
    expect(await signerOf(dynamo.commandCalls(GetCommand), 0)).toBe('ASIA-acme-1');
  });

  it("uses each run's own tenant, whatever tenant a call names, and one session per tenant", async () => {
    // Prepare
    const { stores, sessions } = vend();

    // Act: a run of globex names acme's record (only a bug or a hostile stage would)
    await stores('globex').records.getRecord('acme', 'notes', 'n1');
    await stores('acme').records.getRecord('acme', 'notes', 'n1');
    await stores('acme').records.getRecord('acme', 'notes', 'n2');

    // Assess: the first is signed as globex, so IAM refuses acme's key to it
    const gets = dynamo.commandCalls(GetCommand);
    expect(await signerOf(gets, 0)).toBe('ASIA-globex-1');
    expect(await signerOf(gets, 1)).toBe('ASIA-acme-2');
    expect(await signerOf(gets, 2)).toBe('ASIA-acme-2');
    expect(sessions.size).toBe(2);
  });

  it('surfaces an STS failure in the stage as a retryable BackendUnavailableError', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const { stores } = vend();

    // Act
    const failure = await tenantBlobs(stores('acme').blobs, 'acme')
      .get('in.txt')
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect(failure).toMatchObject({ code: 'BACKEND_UNAVAILABLE', retryable: true });
    expect(s3.calls()).toHaveLength(0);
  });

  it('refuses, before STS, a tenant no session may be for', async () => {
    // Prepare
    const { stores } = vend();

    // Act
    const failure = await stores('TENANTS')
      .records.getRecord('TENANTS', 'notes', 'n1')
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect(String(failure)).toMatch(/no tenant owns/);
    expect(sts.calls()).toHaveLength(0);
  });
});
