import type { Backend } from '../../core/ports/index.js';
import { ApiGatewayLiveChannel } from './api-gateway-live-channel.js';
import { type AwsClients, createClients } from './clients.js';
import type { AwsConfig } from './config.js';
import { DynamoJobStore } from './dynamo-job-store.js';
import { DynamoRecordStore } from './dynamo-record-store.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import { S3BlobStore } from './s3-blob-store.js';
import { SqsJobQueue, type SqsJobQueueOptions } from './sqs-job-queue.js';

export interface AwsBackend extends Backend {
  readonly queue: SqsJobQueue;
  readonly store: DynamoJobStore;
  readonly events: EventBridgePublisher;
  readonly blobs: S3BlobStore;
  readonly records: DynamoRecordStore;
  readonly live?: ApiGatewayLiveChannel;
  readonly clients: AwsClients;
  readonly config: AwsConfig;
}

export interface AwsBackendOptions {
  /** Clients to use instead of creating them (to add middleware, or mocks). */
  readonly clients?: AwsClients;
  readonly queue?: SqsJobQueueOptions;
  /** Linger of the EventBridge batcher. @default 50 */
  readonly eventLingerMs?: number;
}

/** Every port on AWS managed services, built once per process from the configuration. */
export function createAwsBackend(config: AwsConfig, options: AwsBackendOptions = {}): AwsBackend {
  const clients = options.clients ?? createClients(config);
  return {
    config,
    clients,
    queue: new SqsJobQueue(clients.sqs, options.queue),
    store: new DynamoJobStore(clients.dynamo, {
      jobsTable: config.jobsTable,
      connectionsTable: config.connectionsTable,
      retentionS: config.retentionDays * 86_400,
    }),
    events: new EventBridgePublisher(clients.eventBridge, {
      busName: config.eventBus,
      source: config.eventSource,
      ...(options.eventLingerMs === undefined ? {} : { lingerMs: options.eventLingerMs }),
    }),
    blobs: new S3BlobStore(clients.s3, { bucket: config.bucket }),
    records: new DynamoRecordStore(clients.dynamo, { table: config.jobsTable }),
    ...(clients.management === undefined ? {} : { live: new ApiGatewayLiveChannel(clients.management) }),
  };
}
