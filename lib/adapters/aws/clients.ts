import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsConfig } from './config.js';

/** The SDK clients the adapters use; pass your own (with middleware, mocks...) to override. */
export interface AwsClients {
  readonly sqs: SQSClient;
  /** The low-level client (tables, TTL); the store uses the document client below. */
  readonly dynamoDb: DynamoDBClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
  readonly s3: S3Client;
  readonly management?: ApiGatewayManagementApiClient;
}

interface ClientOptions {
  region: string;
  endpoint?: string;
  maxAttempts: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Creates the clients once per process (Lambda cold start). Against a local emulator the
 * endpoint is set and, without credentials in the environment, dummy ones are used.
 */
export function createClients(
  config: Pick<AwsConfig, 'region' | 'endpoint' | 'websocketEndpoint'>,
): AwsClients {
  const base: ClientOptions = { region: config.region, maxAttempts: 4 };
  if (config.endpoint !== undefined) {
    base.endpoint = config.endpoint;
    if (process.env.AWS_ACCESS_KEY_ID === undefined) {
      base.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  const dynamoDb = new DynamoDBClient(base);
  return {
    sqs: new SQSClient(base),
    dynamoDb,
    dynamo: DynamoDBDocumentClient.from(dynamoDb, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    }),
    eventBridge: new EventBridgeClient(base),
    // Emulators serve buckets by path, not by virtual host.
    s3: new S3Client({ ...base, forcePathStyle: config.endpoint !== undefined }),
    ...(config.websocketEndpoint === undefined
      ? {}
      : {
          management: new ApiGatewayManagementApiClient({
            ...base,
            endpoint: config.websocketEndpoint,
          }),
        }),
  };
}
