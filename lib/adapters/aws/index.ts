export { ApiGatewayLiveChannel } from './api-gateway-live-channel.js';
export { type AwsBackend, type AwsBackendOptions, createAwsBackend } from './aws-backend.js';
export {
  type AwsClients,
  createClients,
  createStsClient,
  createTenantClients,
  type TenantClients,
} from './clients.js';
export type { AwsConfig } from './config.js';
export { INDEX } from './dynamo-items.js';
export { DynamoJobStore, type DynamoJobStoreOptions } from './dynamo-job-store.js';
export { DynamoRecordStore } from './dynamo-record-store.js';
export { DynamoTenantRegistry } from './dynamo-tenant-registry.js';
export { call, isAwsError, translateAwsError } from './errors.js';
export { EventBridgePublisher, type EventBridgePublisherOptions } from './eventbridge-publisher.js';
export { provisionAws, routeBusToQueue } from './provision.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { SqsJobQueue, type SqsJobQueueOptions } from './sqs-job-queue.js';
export { connectionsTableDefinition, jobsTableDefinition } from './tables.js';
export {
  createTenantSessionBackend,
  type TenantSessionBackend,
  type TenantSessionBackendOptions,
} from './tenant-backend.js';
export {
  createTenantSessionStores,
  type TenantRunStores,
  type TenantSessionStores,
  type TenantSessionStoresOptions,
} from './tenant-run-stores.js';
export { TenantScope } from './tenant-scope.js';
export {
  fixedTenant,
  type TenantPorts,
  TenantScopedBlobStore,
  TenantScopedJobStore,
  TenantScopedRecordStore,
  tenantScopedBackend,
} from './tenant-scoped-stores.js';
export {
  assertSessionTenant,
  roleSessionName,
  TENANT_SESSION_TAG,
  type TenantCredentials,
  type TenantSession,
  TenantSessions,
  type TenantSessionsOptions,
} from './tenant-sessions.js';
