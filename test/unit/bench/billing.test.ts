import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createClients } from '../../../lib/adapters/aws/index.js';
import { jobsTableDefinition } from '../../../lib/adapters/aws/tables.js';
import { Meter } from '../../bench/billing/meter.js';
import {
  chunks,
  type IndexSpec,
  indexWrites,
  itemSize,
  readUnits,
  writeUnits,
} from '../../bench/billing/units.js';
import { Usage } from '../../bench/billing/usage.js';
import { uniquePrefix } from '../../support/factories.js';

const KIB = 1024;
/** An item of exactly `bytes` bytes: 'pk' (2) + its 1-byte value + 'data' (4) + the padding. */
const sized = (pk: string, bytes: number) => ({
  pk: { S: pk },
  data: { S: 'x'.repeat(bytes - 2 - pk.length - 4) },
});

const byStatus: IndexSpec = {
  name: 'by-status',
  hashKey: 'tenant_id',
  rangeKey: 'status_since',
  projection: 'INCLUDE',
  include: ['job_id'],
};

describe('billing rules, computed by hand', () => {
  it('sizes an item the way DynamoDB does', () => {
    // pk 2+3; n 1 + (5 digits → 3 + 1); flag 4+1; l 1 + 3 + (1+1) + (1+2); m 1 + 3 + (1+1+1)
    const item = {
      pk: { S: 'abc' },
      n: { N: '123.45' },
      flag: { BOOL: true },
      l: { L: [{ S: 'x' }, { N: '7' }] },
      m: { M: { k: { S: 'v' } } },
    };
    expect(itemSize(item)).toBe(5 + 5 + 5 + 9 + 7);
  });

  it('bills a 1.5 KiB put 2 WRU and a transaction of two 0.5 KiB items 4 WRU', () => {
    expect(itemSize(sized('a', 1536))).toBe(1536);
    expect(writeUnits(undefined, sized('a', 1536))).toBe(2);
    const half = sized('b', 512);
    expect(writeUnits(undefined, half, true) + writeUnits(undefined, half, true)).toBe(4);
    // The larger of before and after: shrinking a 1.5 KiB item to 0.5 KiB still bills 2.
    expect(writeUnits(sized('a', 1536), half)).toBe(2);
  });

  it('bills reads per 4 KiB, half when eventually consistent', () => {
    expect(readUnits(1536, 'strong')).toBe(1);
    expect(readUnits(1536, 'eventual')).toBe(0.5);
    expect(readUnits(4 * KIB + 1, 'strong')).toBe(2);
    expect(readUnits(100, 'transactional')).toBe(2);
  });

  it('moves an item in an index with a delete and a put, and leaves it alone when nothing it holds changes', () => {
    const queued = {
      pk: { S: 'j' },
      tenant_id: { S: 't' },
      status_since: { S: 'QUEUED#1' },
      job_id: { S: 'j' },
    };
    const done = { ...queued, status_since: { S: 'DONE#2' } };
    expect(indexWrites([byStatus], ['pk'], queued, done).map((w) => w.kind)).toEqual(['delete', 'put']);
    expect(indexWrites([byStatus], ['pk'], undefined, queued).map((w) => w.kind)).toEqual(['put']);
    expect(indexWrites([byStatus], ['pk'], queued, { ...queued, other: { S: 'x' } })).toEqual([]);
    expect(
      indexWrites([byStatus], ['pk'], queued, { ...queued, job_id: { S: 'k' } }).map((w) => w.kind),
    ).toEqual(['update']);
    const { status_since: _removed, ...unlisted } = queued;
    expect(indexWrites([byStatus], ['pk'], queued, unlisted).map((w) => w.kind)).toEqual(['delete']);
  });

  it('bills SQS and EventBridge payloads per 64 KiB chunk', () => {
    expect(chunks(70 * KIB)).toBe(2);
    expect(chunks(64 * KIB)).toBe(1);
    expect(chunks(0)).toBe(1);
  });
});

const endpoint = inject('motoEndpoint');

describe.skipIf(endpoint === undefined)('the meter on real SDK requests (moto_server)', () => {
  const setup = async () => {
    const url = endpoint ?? '';
    const clients = createClients({ region: 'us-east-1', endpoint: url });
    const meter = new Meter({ region: 'us-east-1', endpoint: url });
    meter.attach(clients.dynamoDb);
    meter.attach(clients.sqs);
    const table = `${uniquePrefix()}billing`;
    meter.enabled = false;
    await clients.dynamoDb.send(new CreateTableCommand(jobsTableDefinition(table)));
    meter.enabled = true;
    return { clients, meter, table };
  };
  const job = (status: string) => ({
    pk: { S: 't#J#1' },
    sk: { S: 'JOB' },
    tenant_id: { S: 't' },
    job_id: { S: '1' },
    pipeline: { S: 'p' },
    created_sort: { S: '2024-01-01#1' },
    status_since: { S: `${status}#2024-01-01#1` },
  });
  const padded = (status: string) => {
    const item = job(status);
    return { ...item, data: { S: 'x'.repeat(1536 - itemSize(item) - 4) } };
  };

  it('bills a 1.5 KiB job put 2 WRU plus one put in each listing index, and a status change a move', async () => {
    const { clients, meter, table } = await setup();
    const usage = new Usage();
    await meter.within(usage, async () => {
      await clients.dynamoDb.send(new PutItemCommand({ TableName: table, Item: padded('QUEUED') }));
    });
    expect(itemSize(padded('QUEUED'))).toBe(1536);
    expect(usage.op('DynamoDB.PutItem').wru).toBe(2);
    expect(Object.fromEntries(usage.indexWrites)).toEqual({ 'by-tenant put': 1, 'by-tenant-status put': 1 });
    expect(usage.op('DynamoDB.PutItem').gsiWru).toBe(2);

    const moved = new Usage();
    await meter.within(moved, () =>
      clients.dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: 't#J#1', sk: 'JOB' },
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status_since' },
          ExpressionAttributeValues: { ':s': 'DONE#2024-01-01#1' },
        }),
      ),
    );
    expect(moved.op('DynamoDB.UpdateItem').wru).toBe(2);
    expect(Object.fromEntries(moved.indexWrites)).toEqual({
      'by-tenant-status delete': 1,
      'by-tenant-status put': 1,
    });

    const quiet = new Usage();
    await meter.within(quiet, () =>
      clients.dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: 't#J#1', sk: 'JOB' },
          UpdateExpression: 'SET #n = :n',
          ExpressionAttributeNames: { '#n': 'note' },
          ExpressionAttributeValues: { ':n': 'y' },
        }),
      ),
    );
    expect(quiet.op('DynamoDB.UpdateItem').wru).toBe(2);
    expect(quiet.indexWrites.size).toBe(0);

    const refused = new Usage();
    await meter.within(refused, async () => {
      await expect(
        clients.dynamo.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: 't#J#1', sk: 'JOB' },
            UpdateExpression: 'SET #n = :n',
            ConditionExpression: 'attribute_not_exists(pk)',
            ExpressionAttributeNames: { '#n': 'note' },
            ExpressionAttributeValues: { ':n': 'z' },
          }),
        ),
      ).rejects.toThrow(/conditional/i);
    });
    expect(refused.op('DynamoDB.UpdateItem').wru).toBe(2);

    const reads = new Usage();
    await meter.within(reads, async () => {
      await clients.dynamo.send(
        new GetCommand({ TableName: table, Key: { pk: 't#J#1', sk: 'JOB' }, ConsistentRead: true }),
      );
      await clients.dynamo.send(new GetCommand({ TableName: table, Key: { pk: 't#J#1', sk: 'JOB' } }));
    });
    expect(reads.op('DynamoDB.GetItem').rru).toBe(1.5);
  });

  it('bills a transaction of two 0.5 KiB items 4 WRU', async () => {
    const { clients, meter, table } = await setup();
    const half = (id: string) => ({
      pk: `t#R#${id}`,
      sk: 'x',
      data: 'x'.repeat(512 - 'pk'.length - `t#R#${id}`.length - 'sk'.length - 1 - 4),
    });
    expect(itemSize({ pk: { S: 't#R#a' }, sk: { S: 'x' }, data: { S: half('a').data } })).toBe(512);
    const usage = new Usage();
    await meter.within(usage, () =>
      clients.dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: half('a') } },
            { Put: { TableName: table, Item: half('b') } },
          ],
        }),
      ),
    );
    expect(usage.op('DynamoDB.TransactWriteItems').wru).toBe(4);
    expect(usage.indexWrites.size).toBe(0);
  });

  it('bills a 70 KiB SQS message 2 requests', async () => {
    const { clients, meter } = await setup();
    meter.enabled = false;
    const queue = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${uniquePrefix()}billing` }));
    meter.enabled = true;
    const usage = new Usage();
    await meter.within(usage, () =>
      clients.sqs.send(
        new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: 'x'.repeat(70 * KIB) }),
      ),
    );
    expect(usage.op('SQS.SendMessage').sqsRequests).toBe(2);
  });
});
