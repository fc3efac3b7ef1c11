import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { JobRecord, Page } from '../../core/ports/index.js';
import type { ExpressionBuilder } from './dynamo-expressions.js';
import { decodeCursor, encodeCursor, JobItemSchema } from './dynamo-items.js';
import { call } from './errors.js';

// Reads and deletes the DynamoDB store composes: a job's items by prefix, a whole partition,
// jobs by key, and batched deletes with the retries BatchWriteItem's unprocessed items need.

type Item = Record<string, unknown>;

export async function queryJob(
  db: DynamoDBDocumentClient,
  table: string,
  jobId: string,
  prefix: string,
  limit: number,
  cursor: string | undefined,
): Promise<Page<Item>> {
  const start = decodeCursor(cursor);
  const out = await call('DynamoDB', 'Query', () =>
    db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':prefix': prefix },
        Limit: Math.min(1_000, Math.max(1, limit)),
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    ),
  );
  const next = encodeCursor(out.LastEvaluatedKey);
  const items = out.Items ?? [];
  return next === undefined ? { items } : { items, cursor: next };
}

export async function queryAll(
  db: DynamoDBDocumentClient,
  table: string,
  pk: string,
  filter?: { expression: string; x: ExpressionBuilder },
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const names = { '#pk': 'pk', ...filter?.x.names };
    const values = { ':pk': pk, ...filter?.x.values };
    const out = await call('DynamoDB', 'Query', () =>
      db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(filter === undefined ? {} : { FilterExpression: filter.expression }),
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      ),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The indexes hold keys (and the pipeline) only: fetch the jobs, in index order (BatchGetItem, 100 keys a call). */
export async function jobsByKey(
  db: DynamoDBDocumentClient,
  table: string,
  pks: readonly string[],
): Promise<JobRecord[]> {
  const found = new Map<string, JobRecord>();
  for (let i = 0; i < pks.length; i += 100) {
    let keysLeft: Record<string, unknown>[] = pks.slice(i, i + 100).map((pk) => ({ pk, sk: 'STATE' }));
    for (let attempt = 0; keysLeft.length > 0 && attempt < 5; attempt += 1) {
      const out = await call('DynamoDB', 'BatchGetItem', () =>
        db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keysLeft, ConsistentRead: true } } })),
      );
      for (const item of out.Responses?.[table] ?? []) found.set(String(item.pk), JobItemSchema.parse(item));
      keysLeft = out.UnprocessedKeys?.[table]?.Keys ?? [];
      if (keysLeft.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
  return pks.flatMap((pk) => {
    const job = found.get(pk);
    return job === undefined ? [] : [job];
  });
}

export async function batchDelete(
  db: DynamoDBDocumentClient,
  table: string,
  itemKeys: readonly Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < itemKeys.length; i += 25) {
    let requests = itemKeys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0 && attempt < 5; attempt += 1) {
      const out = await call('DynamoDB', 'BatchWriteItem', () =>
        db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })),
      );
      requests = (out.UnprocessedItems?.[table] ?? []).flatMap((r) =>
        r.DeleteRequest?.Key === undefined ? [] : [{ DeleteRequest: { Key: r.DeleteRequest.Key } }],
      );
      if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}
