export { ApiGatewayLiveChannel } from './api-gateway-live-channel.js';
export { type AwsBackend, type AwsBackendOptions, createAwsBackend } from './aws-backend.js';
export { type AwsClients, createClients } from './clients.js';
export type { AwsConfig } from './config.js';
export { INDEX } from './dynamo-items.js';
export { DynamoJobStore, type DynamoJobStoreOptions } from './dynamo-job-store.js';
export { DynamoRecordStore } from './dynamo-record-store.js';
export { call, isAwsError, translateAwsError } from './errors.js';
export { EventBridgePublisher, type EventBridgePublisherOptions } from './eventbridge-publisher.js';
export {
  connectionsTableDefinition,
  jobsTableDefinition,
  provisionAws,
  routeBusToQueue,
} from './provision.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { SqsJobQueue, type SqsJobQueueOptions } from './sqs-job-queue.js';
