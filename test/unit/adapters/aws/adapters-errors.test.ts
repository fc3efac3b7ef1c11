import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiGatewayLiveChannel } from '../../../../lib/adapters/aws/api-gateway-live-channel.js';
import { DynamoJobStore } from '../../../../lib/adapters/aws/dynamo-job-store.js';
import { translateAwsError } from '../../../../lib/adapters/aws/errors.js';
import { EventBridgePublisher } from '../../../../lib/adapters/aws/eventbridge-publisher.js';
import { S3BlobStore } from '../../../../lib/adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from '../../../../lib/adapters/aws/sqs-job-queue.js';
import {
  BackendUnavailableError,
  ConfigError,
  NotFoundError,
  ReceiptHandleError,
  StagecoachError,
} from '../../../../lib/core/ports/index.js';
import { jobEvent, jobRecord } from '../../../support/factories.js';

const awsError = (name: string, status = 400, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

const region = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

describe('translateAwsError', () => {
  it.each([
    ['ThrottlingException', 400, BackendUnavailableError, true],
    ['ProvisionedThroughputExceededException', 400, BackendUnavailableError, true],
    ['InternalServerError', 500, BackendUnavailableError, true],
    ['SomethingOdd', 503, BackendUnavailableError, true],
    ['ResourceNotFoundException', 400, ConfigError, false],
    ['AccessDeniedException', 403, ConfigError, false],
  ])('maps %s (HTTP %i) to %s', (name, status, kind, retryable) => {
    const error = translateAwsError('DynamoDB', 'UpdateItem', awsError(name, status));
    expect(error).toBeInstanceOf(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(name);
  });

  it('says what to check when access is denied', () => {
    expect(translateAwsError('SQS', 'SendMessage', awsError('AccessDenied', 403)).message).toMatch(
      /IAM role lacks a permission/,
    );
  });

  it('keeps unknown service errors retryable with their name', () => {
    const error = translateAwsError('S3', 'PutObject', awsError('WeirdError'));
    expect(error).toBeInstanceOf(StagecoachError);
    expect(error.code).toBe('AWS_ERROR');
  });
});

describe('SqsJobQueue error paths', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());
  const url = 'https://sqs.us-east-1.amazonaws.com/1/q';

  it('retries only the entries a batch reports failed, and gives up with a retryable error', async () => {
    // Prepare
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      })
      .resolves({
        Successful: [],
        Failed: [{ Id: '0', Code: 'InternalError', Message: 'still failing', SenderFault: false }],
      });
    const queue = new SqsJobQueue(new SQSClient(region), { lingerMs: 0, entryAttempts: 3 });
    // Act
    const result = queue.send('q', [{ body: 'a' }, { body: 'b' }]);
    // Assess
    await expect(result).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(result).rejects.toThrow(/kept failing for 1 message\(s\): InternalError: still failing/);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(3);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.MessageBody)).toEqual(['b']);
  });

  it('turns throttling that outlasts the SDK retries into BackendUnavailableError', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs.on(ReceiveMessageCommand).rejects(awsError('RequestThrottled', 400));
    const queue = new SqsJobQueue(new SQSClient({ ...region, maxAttempts: 1 }));
    await expect(queue.receive('q', { maxMessages: 10, waitTimeMs: 0 })).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
  });

  it('reports a stale receipt handle as ReceiptHandleError', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs.on(ChangeMessageVisibilityCommand).rejects(awsError('ReceiptHandleIsInvalid'));
    const queue = new SqsJobQueue(new SQSClient(region));
    await expect(queue.changeVisibility('q', 'stale', 0)).rejects.toBeInstanceOf(ReceiptHandleError);
  });

  it('batches concurrent sends to one queue into one call', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })),
    }));
    const queue = new SqsJobQueue(new SQSClient(region), { lingerMs: 20 });
    await Promise.all(
      Array.from({ length: 7 }, (_, i) => queue.send('q', [{ body: String(i), delayMs: 1_500 }])),
    );
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Entries).toHaveLength(7);
    expect(calls[0]?.args[0].input.Entries?.[0]?.DelaySeconds).toBe(2);
  });

  it('sends the tenant as the message group, which makes the standard queue fair', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url });
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })),
    }));
    const queue = new SqsJobQueue(new SQSClient(region), { lingerMs: 0 });
    await queue.send('q', [{ body: 'a', group: 'tenant-a' }, { body: 'x' }]);
    const entries = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries;
    expect(entries?.map((e) => e.MessageGroupId)).toEqual(['tenant-a', undefined]);
  });
});

describe('EventBridgePublisher error paths', () => {
  const eb = mockClient(EventBridgeClient);
  afterEach(() => eb.reset());
  const job = jobRecord();

  it('retries the entries PutEvents reports failed', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'e0' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const publisher = new EventBridgePublisher(new EventBridgeClient(region), {
      busName: 'bus',
      lingerMs: 0,
    });
    await publisher.publish([
      jobEvent(job, { type: 'stage.started' }),
      jobEvent(job, { type: 'stage.completed' }),
    ]);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.DetailType)).toEqual(['stage.completed']);
    expect(calls[0]?.args[0].input.Entries?.[0]).toMatchObject({ EventBusName: 'bus', Source: 'stagecoach' });
  });

  it('rejects with BackendUnavailableError when entries keep failing', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
    });
    const publisher = new EventBridgePublisher(new EventBridgeClient(region), {
      busName: 'bus',
      lingerMs: 0,
      entryAttempts: 2,
    });
    await expect(publisher.publish([jobEvent(job)])).rejects.toThrow(
      /PutEvents kept failing for 1 event\(s\): InternalFailure/,
    );
  });

  it('sends at most ten entries per call', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: String(i) })),
    }));
    const publisher = new EventBridgePublisher(new EventBridgeClient(region), {
      busName: 'bus',
      lingerMs: 50,
    });
    const events = Array.from({ length: 23 }, () => jobEvent(job));
    await Promise.all(events.map((e) => publisher.publish([e])));
    await publisher.flush();
    const sizes = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes.reduce((a = 0, b = 0) => a + b, 0)).toBe(23);
    expect(Math.max(...sizes.map((s) => s ?? 0))).toBeLessThanOrEqual(10);
  });
});

describe('ApiGatewayLiveChannel', () => {
  const api = mockClient(ApiGatewayManagementApiClient);
  afterEach(() => api.reset());

  it('reports a connection API Gateway says is gone (410) as gone', async () => {
    api
      .on(PostToConnectionCommand)
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }));
    const live = new ApiGatewayLiveChannel(new ApiGatewayManagementApiClient(region));
    expect(await live.post('c1', { hello: 1 })).toBe('gone');
  });

  it('posts JSON and says sent', async () => {
    api.on(PostToConnectionCommand).resolves({});
    const live = new ApiGatewayLiveChannel(new ApiGatewayManagementApiClient(region));
    expect(await live.post('c1', { hello: 1 })).toBe('sent');
    const data = api.commandCalls(PostToConnectionCommand)[0]?.args[0].input.Data;
    expect(data instanceof Uint8Array ? Buffer.from(data).toString() : data).toBe('{"hello":1}');
  });

  it('raises other failures as domain errors', async () => {
    api.on(PostToConnectionCommand).rejects(awsError('LimitExceededException', 429));
    const live = new ApiGatewayLiveChannel(new ApiGatewayManagementApiClient(region));
    await expect(live.post('c1', {})).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});

describe('DynamoJobStore and S3BlobStore error paths', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    ddb.reset();
    s3.reset();
  });
  const store = () =>
    new DynamoJobStore(DynamoDBDocumentClient.from(new DynamoDBClient(region)), { jobsTable: 'jobs' });

  it('translates throttling that outlasts the SDK retries', async () => {
    ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    await expect(store().getJob('t', 'j')).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('returns the current job, unmarshalled, when a condition fails', async () => {
    const job = jobRecord({ status: 'RUNNING' });
    const marshalled = Object.fromEntries(
      Object.entries({ ...job, pk: 'tenant-a#J#x', sk: 'JOB' }).map(([k, v]) => [
        k,
        typeof v === 'number'
          ? { N: String(v) }
          : typeof v === 'string'
            ? { S: v }
            : Array.isArray(v)
              ? { L: [] }
              : { M: {} },
      ]),
    );
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException', 400, { Item: marshalled }));
    const result = await store().transition(job.tenant_id, job.job_id, {
      expect: { status: ['QUEUED'] },
      set: { status: 'RUNNING' },
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.current?.status).toBe('RUNNING');
  });

  it('names a missing table as a configuration problem', async () => {
    ddb.on(GetCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(store().getJob('t', 'j')).rejects.toThrow(/check the STAGECOACH_\* environment variables/);
  });

  it('reports a missing object as NotFoundError', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    const blobs = new S3BlobStore(new S3Client(region), { bucket: 'b' });
    await expect(blobs.get('x/y.csv')).rejects.toBeInstanceOf(NotFoundError);
  });

  it("reads a denied object as missing on a tenant's session, and only there", async () => {
    // Prepare: S3 answers 403 for a key a prefix-scoped session cannot see (or that is absent).
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    s3.on(HeadObjectCommand).rejects(awsError('Forbidden', 403));
    const tenant = new S3BlobStore(new S3Client(region), { bucket: 'b', deniedIsNotFound: true });
    const own = new S3BlobStore(new S3Client(region), { bucket: 'b' });

    // Act / Assess
    await expect(tenant.get('tenants/b/x.csv')).rejects.toBeInstanceOf(NotFoundError);
    expect(await tenant.head('tenants/b/x.csv')).toBeUndefined();
    await expect(own.get('x.csv')).rejects.toBeInstanceOf(ConfigError);
    await expect(own.head('x.csv')).rejects.toBeInstanceOf(ConfigError);
  });
});
