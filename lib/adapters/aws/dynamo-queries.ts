import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { BackendUnavailableError } from '../../core/ports/index.js';
import type { ExpressionBuilder } from './dynamo-expressions.js';
import { call } from './errors.js';

// Reads and writes the DynamoDB stores compose: a whole (small) partition, items by key, batched
// writes — each retrying what DynamoDB leaves unprocessed, with backoff and jitter, and failing
// loudly when it cannot finish rather than returning short.

type Item = Record<string, unknown>;

/** Attempts at finishing a batch before it is an error. */
const BATCH_ATTEMPTS = 8;

const backoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2_000, 25 * 2 ** attempt)));

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

/** Items by key (BatchGetItem, 100 keys a call), in the order of `itemKeys`; missing ones are skipped. */
export async function itemsByKey(
  db: DynamoDBDocumentClient,
  table: string,
  itemKeys: readonly { readonly pk: string; readonly sk: string }[],
): Promise<Item[]> {
  const found = new Map<string, Item>();
  for (let i = 0; i < itemKeys.length; i += 100) {
    let keysLeft: Record<string, unknown>[] = itemKeys.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
    for (let attempt = 0; keysLeft.length > 0; attempt += 1) {
      if (attempt >= BATCH_ATTEMPTS) {
        throw new BackendUnavailableError(
          'DynamoDB',
          `BatchGetItem left ${keysLeft.length} keys unprocessed`,
        );
      }
      if (attempt > 0) await backoff(attempt);
      const out = await call('DynamoDB', 'BatchGetItem', () =>
        db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keysLeft, ConsistentRead: true } } })),
      );
      for (const item of out.Responses?.[table] ?? [])
        found.set(`${String(item.pk)}\u0000${String(item.sk)}`, item);
      keysLeft = out.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return itemKeys.flatMap((k) => {
    const item = found.get(`${k.pk}\u0000${k.sk}`);
    return item === undefined ? [] : [item];
  });
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** Puts and deletes, 25 a call, every unprocessed one retried until done (or an error). */
export async function batchWrite(
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let left: WriteRequest[] = requests.slice(i, i + 25);
    for (let attempt = 0; left.length > 0; attempt += 1) {
      if (attempt >= BATCH_ATTEMPTS) {
        throw new BackendUnavailableError(
          'DynamoDB',
          `BatchWriteItem left ${left.length} requests unprocessed`,
        );
      }
      if (attempt > 0) await backoff(attempt);
      const batch = left;
      const out = await call('DynamoDB', 'BatchWriteItem', () =>
        db.send(new BatchWriteCommand({ RequestItems: { [table]: batch } })),
      );
      left = (out.UnprocessedItems?.[table] ?? []).flatMap((r): WriteRequest[] => {
        if (r.PutRequest?.Item !== undefined) return [{ PutRequest: { Item: r.PutRequest.Item } }];
        if (r.DeleteRequest?.Key !== undefined) return [{ DeleteRequest: { Key: r.DeleteRequest.Key } }];
        return [];
      });
    }
  }
}

export function batchDelete(
  db: DynamoDBDocumentClient,
  table: string,
  itemKeys: readonly Record<string, unknown>[],
): Promise<void> {
  return batchWrite(
    db,
    table,
    itemKeys.map((Key) => ({ DeleteRequest: { Key } })),
  );
}
