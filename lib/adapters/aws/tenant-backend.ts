import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Backend, Clock } from '../../core/ports/index.js';
import type { AwsBackend } from './aws-backend.js';
import { createTenantClients } from './clients.js';
import { DynamoJobStore } from './dynamo-job-store.js';
import { DynamoRecordStore } from './dynamo-record-store.js';
import { DynamoTenantRegistry } from './dynamo-tenant-registry.js';
import { S3BlobStore } from './s3-blob-store.js';
import { TenantScope } from './tenant-scope.js';
import { tenantScopedBackend } from './tenant-scoped-stores.js';
import { type TenantSession, TenantSessions, type TenantSessionsOptions } from './tenant-sessions.js';

/** A backend on tenant sessions, and the scope each request (or listened event) is served in. */
export interface TenantSessionBackend {
  readonly backend: Backend;
  readonly scope: TenantScope;
  readonly sessions: TenantSessions;
}

export interface TenantSessionBackendOptions extends TenantSessionsOptions {
  /** The client AssumeRole is called with (the function's own credentials). */
  readonly sts: STSClient;
  readonly clock?: Clock;
  /** Called with each tenant client as it is created (X-Ray capture in Lambda). */
  readonly instrument?: (client: DynamoDBClient | S3Client) => unknown;
}

/**
 * Token vending for the API function (and the listeners function, per event): each request's
 * store, records and blobs are built on the caller's tenant session (its DynamoDB and S3 clients are cached with the session and replaced
 * with it), while the queue, the event bus and the connections keep the function's own role.
 * The one write outside the tenant's partitions — registering the tenant for the reconciler in the
 * `TENANTS` partition — goes through the function's client, on a grant for that partition only.
 */
export function createTenantSessionBackend(
  base: AwsBackend,
  options: TenantSessionBackendOptions,
): TenantSessionBackend {
  const { sts, instrument, ...sessionOptions } = options;
  const sessions = new TenantSessions(sts, sessionOptions);
  const scope = new TenantScope();
  const retentionS = base.config.retentionDays * 86_400;
  const registry = new DynamoTenantRegistry(base.clients.dynamo, {
    table: base.config.jobsTable,
    retentionS,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const portsOf = portsOnSessions(sessions, (session) => {
    const clients = createTenantClients(base.config, session.credentials, instrument);
    return {
      store: new DynamoJobStore(clients.dynamo, {
        jobsTable: base.config.jobsTable,
        connectionsTable: base.config.connectionsTable,
        retentionS,
        registry,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      }),
      records: new DynamoRecordStore(clients.dynamo, { table: base.config.jobsTable }),
      blobs: new S3BlobStore(clients.s3, { bucket: base.config.bucket, deniedIsNotFound: true }),
    };
  });
  return { backend: tenantScopedBackend(base, { scope, portsOf }), scope, sessions };
}

/**
 * A tenant's ports, built once per session: keyed by the session object, a refreshed session is a
 * new key, so it gets new clients, and the old ones go when the vendor drops the old session.
 */
export function portsOnSessions<P extends object>(
  sessions: TenantSessions,
  build: (session: TenantSession) => P,
): (tenantId: string) => Promise<P> {
  const bySession = new WeakMap<TenantSession, P>();
  return async (tenantId) => {
    const session = await sessions.session(tenantId);
    const cached = bySession.get(session);
    if (cached !== undefined) return cached;
    const ports = build(session);
    bySession.set(session, ports);
    return ports;
  };
}
