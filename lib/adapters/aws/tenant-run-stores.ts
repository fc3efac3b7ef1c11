import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';
import type { BlobStore, RecordStore } from '../../core/ports/index.js';
import { createTenantClients } from './clients.js';
import type { AwsConfig } from './config.js';
import { DynamoRecordStore } from './dynamo-record-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { portsOnSessions } from './tenant-backend.js';
import { fixedTenant, TenantScopedBlobStore, TenantScopedRecordStore } from './tenant-scoped-stores.js';
import { TenantSessions, type TenantSessionsOptions } from './tenant-sessions.js';

/** One tenant's stores for a stage run (the engine's `RunnerOptions.tenantStores`). */
export type TenantRunStores = (tenantId: string) => {
  readonly blobs: BlobStore;
  readonly records: RecordStore;
};

export interface TenantSessionStores {
  readonly stores: TenantRunStores;
  readonly sessions: TenantSessions;
}

export interface TenantSessionStoresOptions extends TenantSessionsOptions {
  /** The client AssumeRole is called with (the function's own credentials). */
  readonly sts: STSClient;
  /** Called with each tenant client as it is created (X-Ray capture in Lambda). */
  readonly instrument?: (client: DynamoDBClient | S3Client) => unknown;
}

/**
 * Token vending for the stage runners: a run's `ctx.storage` and `ctx.records` act on its job's
 * tenant's session, so a stage — or a bug in one — reaches that tenant's objects and records only,
 * whatever keys it names. The tenant is the one the verified envelope names, fixed for the run, so
 * the stores need no request scope. Each call looks the session up (cached by the vendor, replaced
 * before it expires), so the stores a runner keeps per tenant never sign with stale credentials.
 * An STS failure surfaces in the stage as a retryable BackendUnavailableError, like an S3 outage.
 */
export function createTenantSessionStores(
  config: Pick<AwsConfig, 'region' | 'endpoint' | 'bucket' | 'jobsTable'>,
  options: TenantSessionStoresOptions,
): TenantSessionStores {
  const { sts, instrument, ...sessionOptions } = options;
  const sessions = new TenantSessions(sts, sessionOptions);
  const portsOf = portsOnSessions(sessions, (session) => {
    const clients = createTenantClients(config, session.credentials, instrument);
    return {
      records: new DynamoRecordStore(clients.dynamo, { table: config.jobsTable }),
      // Denied reads as not found: a key IAM refuses is simply not the tenant's object.
      blobs: new S3BlobStore(clients.s3, { bucket: config.bucket, deniedIsNotFound: true }),
    };
  });
  return {
    sessions,
    stores: (tenantId) => {
      const routing = { scope: fixedTenant(tenantId), portsOf };
      return { blobs: new TenantScopedBlobStore(routing), records: new TenantScopedRecordStore(routing) };
    },
  };
}
