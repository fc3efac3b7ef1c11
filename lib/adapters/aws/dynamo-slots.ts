import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SlotRequest } from '../../core/ports/index.js';
import { keys } from './dynamo-items.js';
import { call, isAwsError } from './errors.js';

/** Rounds of "full, but some slots expired: clear them and try again" before giving up. */
const ROUNDS = 3;
/** How long a pool item outlives its last slot (TTL), so idle pools cost nothing. */
const POOL_TTL_S = 86_400;

/**
 * A tenant's concurrency pool is one item whose `holders` map names each holder and when its slot
 * expires. Taking a slot is one conditional UpdateItem — "the holder is in the map, or the map has
 * fewer than `limit` entries" — so the usual case costs one write. Only a full pool costs more: a
 * consistent read, then a write that removes the expired holders it found (conditional on their
 * expiry being unchanged, so a holder that renewed meanwhile keeps its slot), then the take again.
 */
export async function acquireSlot(
  db: DynamoDBDocumentClient,
  table: string,
  slot: SlotRequest,
): Promise<boolean> {
  const key = keys.slots(slot.tenantId, slot.pool);
  const ttl = Math.ceil(slot.expiresAt / 1000) + POOL_TTL_S;
  for (let round = 0; round < ROUNDS; round += 1) {
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET holders.#h = :until, expires_at = :ttl',
          ConditionExpression:
            'attribute_exists(holders) AND (attribute_exists(holders.#h) OR size(holders) < :limit)',
          ExpressionAttributeNames: { '#h': slot.holder },
          ExpressionAttributeValues: { ':until': slot.expiresAt, ':ttl': ttl, ':limit': slot.limit },
        }),
      );
      return true;
    } catch (error) {
      if (!isAwsError(error, 'ConditionalCheckFailedException')) {
        await call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
      }
    }
    const current = await call('DynamoDB', 'GetItem', () =>
      db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
    );
    const holders = holdersOf(current.Item);
    if (holders === undefined) {
      if (await createPool(db, table, key, slot, ttl)) return true;
      continue;
    }
    const expired = Object.entries(holders).filter(([, until]) => until < slot.now);
    if (Object.keys(holders).length - expired.length >= slot.limit) return false;
    await clearExpired(db, table, key, expired);
  }
  return false;
}

/** Frees a holder's slot; a pool that does not exist is left alone (no empty item is created). */
export async function releaseSlot(
  db: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  pool: string,
  holder: string,
): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.slots(tenantId, pool),
        UpdateExpression: 'REMOVE holders.#h',
        ConditionExpression: 'attribute_exists(holders)',
        ExpressionAttributeNames: { '#h': holder },
      }),
    );
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return;
    await call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
  }
}

function holdersOf(item: Record<string, unknown> | undefined): Record<string, number> | undefined {
  const holders = item?.holders;
  if (typeof holders !== 'object' || holders === null) return undefined;
  return Object.fromEntries(
    Object.entries(holders).map(([holder, until]) => [holder, typeof until === 'number' ? until : 0]),
  );
}

/** The first slot of a pool creates its item; false when another writer created it first. */
async function createPool(
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  slot: SlotRequest,
  ttl: number,
): Promise<boolean> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...key, tenant: slot.tenantId, holders: { [slot.holder]: slot.expiresAt }, expires_at: ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    return call('DynamoDB', 'PutItem', () => Promise.reject(error));
  }
}

/** Removes the holders whose slots expired, each only if its expiry is still the one read. */
async function clearExpired(
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  expired: readonly [string, number][],
): Promise<void> {
  if (expired.length === 0) return;
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const conditions: string[] = [];
  expired.forEach(([holder, until], i) => {
    names[`#x${i}`] = holder;
    values[`:x${i}`] = until;
    conditions.push(`holders.#x${i} = :x${i}`);
  });
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: `REMOVE ${expired.map((_, i) => `holders.#x${i}`).join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    // Another taker cleared them (or one renewed): the next round reads the pool again.
    if (isAwsError(error, 'ConditionalCheckFailedException')) return;
    await call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
  }
}
