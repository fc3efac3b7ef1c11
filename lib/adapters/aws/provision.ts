import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { JobQueue, QueueSpec } from '../../core/ports/index.js';
import type { AwsClients } from './clients.js';
import type { AwsConfig } from './config.js';
import { call, isAwsError } from './errors.js';
import { connectionsTableDefinition, jobsTableDefinition } from './tables.js';

async function ensureTable(dynamo: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  const name = definition.TableName ?? '';
  try {
    await dynamo.send(new CreateTableCommand(definition));
  } catch (error) {
    if (!isAwsError(error, 'ResourceInUseException'))
      await call('DynamoDB', 'CreateTable', () => Promise.reject(error));
    return;
  }
  for (let i = 0; i < 60; i += 1) {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await call('DynamoDB', 'UpdateTimeToLive', () =>
    dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      }),
    ),
  );
}

async function ensureBus(eventBridge: EventBridgeClient, name: string): Promise<void> {
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: name }));
  } catch (error) {
    if (!isAwsError(error, 'ResourceAlreadyExistsException')) {
      await call('EventBridge', 'CreateEventBus', () => Promise.reject(error));
    }
  }
}

async function ensureBucket(s3: S3Client, name: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!isAwsError(error, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists')) {
      await call('S3', 'CreateBucket', () => Promise.reject(error));
    }
  }
  // Browsers upload measurement files straight to presigned URLs.
  await call('S3', 'PutBucketCors', () =>
    s3.send(
      new PutBucketCorsCommand({
        Bucket: name,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedMethods: ['GET', 'PUT'],
              AllowedOrigins: ['*'],
              AllowedHeaders: ['*'],
              MaxAgeSeconds: 3000,
            },
          ],
        },
      }),
    ),
  );
}

/**
 * Creates (idempotently) every resource a deployment needs, for the dev runtime and the tests on an
 * emulator. In AWS the CDK app creates the same resources from the same definitions.
 */
export async function provisionAws(
  config: AwsConfig,
  clients: AwsClients,
  queue: JobQueue,
  queues: readonly QueueSpec[],
): Promise<void> {
  await Promise.all([
    ensureTable(clients.dynamoDb, jobsTableDefinition(config.jobsTable)),
    config.connectionsTable === config.jobsTable
      ? Promise.resolve()
      : ensureTable(clients.dynamoDb, connectionsTableDefinition(config.connectionsTable)),
    ensureBus(clients.eventBridge, config.eventBus),
    ensureBucket(clients.s3, config.bucket),
  ]);
  for (const spec of queues) await queue.ensureQueue(spec);
}

/**
 * An EventBridge rule on the bus that targets a queue (created if absent) — how the dev runtime and
 * the tests receive bus events the way a rule's Lambda target would. Returns the queue's URL.
 */
export async function routeBusToQueue(
  clients: Pick<AwsClients, 'sqs' | 'eventBridge'>,
  config: Pick<AwsConfig, 'eventBus'>,
  name: string,
  pattern: Record<string, unknown>,
): Promise<string> {
  const queueUrl =
    (await call('SQS', 'CreateQueue', () => clients.sqs.send(new CreateQueueCommand({ QueueName: name }))))
      .QueueUrl ?? '';
  const attributes = await call('SQS', 'GetQueueAttributes', () =>
    clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })),
  );
  await call('EventBridge', 'PutRule', () =>
    clients.eventBridge.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: config.eventBus,
        EventPattern: JSON.stringify(pattern),
      }),
    ),
  );
  await call('EventBridge', 'PutTargets', () =>
    clients.eventBridge.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: config.eventBus,
        Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn }],
      }),
    ),
  );
  return queueUrl;
}
