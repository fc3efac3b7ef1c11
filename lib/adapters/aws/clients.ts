import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsConfig } from './config.js';
import type { TenantCredentials } from './tenant-sessions.js';

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
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };
}

type Where = Pick<AwsConfig, 'region' | 'endpoint'>;

/** Against a local emulator the endpoint is set and, without credentials in the environment, dummy ones are used. */
function baseOptions(config: Where): ClientOptions {
  const base: ClientOptions = { region: config.region, maxAttempts: 4 };
  if (config.endpoint !== undefined) {
    base.endpoint = config.endpoint;
    if (process.env.AWS_ACCESS_KEY_ID === undefined) {
      base.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  return base;
}

const documentClient = (dynamoDb: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });

/** Creates the function's own clients once per process (Lambda cold start). */
export function createClients(
  config: Pick<AwsConfig, 'region' | 'endpoint' | 'websocketEndpoint'>,
): AwsClients {
  const base = baseOptions(config);
  const dynamoDb = new DynamoDBClient(base);
  return {
    sqs: new SQSClient(base),
    dynamoDb,
    dynamo: documentClient(dynamoDb),
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

/** The STS client the tenant-session vendor assumes the role with (the function's own credentials). */
export function createStsClient(config: Where): STSClient {
  return new STSClient(baseOptions(config));
}

/** The clients of one tenant's session: what its store, records and blobs are built on. */
export interface TenantClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

/**
 * Every tenant's clients share these connection pools: a client per tenant with pools of its own
 * would hold sockets for up to a thousand tenants (Lambda allows 1,024 descriptors), while a
 * request's credentials are in its signature, not in the connection.
 */
let sharedAgents: { readonly httpAgent: HttpAgent; readonly httpsAgent: HttpsAgent } | undefined;

/**
 * Clients signing with one tenant's session credentials, fixed for the clients' life: a new session
 * gets new clients (see tenant-backend.ts), so nothing is ever signed with credentials the vendor
 * has stopped handing out.
 */
export function createTenantClients(
  config: Where,
  credentials: TenantCredentials,
  /** Called with each new client (X-Ray capture in Lambda). */
  instrument?: (client: DynamoDBClient | S3Client) => unknown,
): TenantClients {
  sharedAgents ??= {
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
  };
  const options = { ...baseOptions(config), credentials, requestHandler: sharedAgents };
  const dynamoDb = new DynamoDBClient(options);
  const s3 = new S3Client({ ...options, forcePathStyle: config.endpoint !== undefined });
  instrument?.(dynamoDb);
  instrument?.(s3);
  return { dynamo: documentClient(dynamoDb), s3 };
}
