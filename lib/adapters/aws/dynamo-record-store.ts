import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Clock, Page, RecordCondition, RecordStore, StoredRecord } from '../../core/ports/index.js';
import {
  assertRecordAddress,
  RecordConflictError,
  systemClock,
  ValidationError,
} from '../../core/ports/index.js';
import { decodeCursor, encodeCursor, keys } from './dynamo-items.js';
import { call, isAwsError } from './errors.js';

const RecordItemSchema = z.object({
  id: z.string(),
  data: z.record(z.string(), z.unknown()),
  version: z.number(),
  updated_at: z.string(),
}) satisfies z.ZodType<StoredRecord>;

/**
 * RecordStore on DynamoDB, in the jobs table: a tenant's collection is a partition
 * (`<tenant>#R#<collection>`), a record an item keyed by its id. Every put is one request: a create
 * conditional on absence, an update conditional on the version it was read at, or an unconditional
 * update that counts the version up in place (ADD), so concurrent writers never lose a count.
 */
export class DynamoRecordStore implements RecordStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(db: DynamoDBDocumentClient, options: { readonly table: string; readonly clock?: Clock }) {
    this.#db = db;
    this.#table = options.table;
    this.#clock = options.clock ?? systemClock;
  }

  async getRecord(tenantId: string, collection: string, id: string): Promise<StoredRecord | undefined> {
    assertRecordAddress(tenantId, collection, id);
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(
        new GetCommand({
          TableName: this.#table,
          Key: keys.record(tenantId, collection, id),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item === undefined ? undefined : RecordItemSchema.parse(out.Item);
  }

  async putRecord(
    tenantId: string,
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord> {
    assertRecordAddress(tenantId, collection, id);
    const updatedAt = new Date(this.#clock.now()).toISOString();
    const names = { '#id': 'id', '#data': 'data', '#updated': 'updated_at', '#version': 'version' };
    const values: Record<string, unknown> = { ':id': id, ':data': data, ':updated': updatedAt };
    let update: string;
    let conditionExpression: string | undefined;
    if (condition === undefined) {
      update = 'SET #id = :id, #data = :data, #updated = :updated ADD #version :one';
      values[':one'] = 1;
    } else if (condition === 'absent') {
      update = 'SET #id = :id, #data = :data, #updated = :updated, #version = :one';
      values[':one'] = 1;
      conditionExpression = 'attribute_not_exists(pk)';
    } else {
      update = 'SET #id = :id, #data = :data, #updated = :updated, #version = :next';
      values[':next'] = condition.version + 1;
      values[':version'] = condition.version;
      conditionExpression = '#version = :version';
    }
    try {
      const out = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.record(tenantId, collection, id),
          UpdateExpression: update,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ...(conditionExpression === undefined ? {} : { ConditionExpression: conditionExpression }),
        }),
      );
      return RecordItemSchema.parse(out.Attributes ?? {});
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) {
        throw new RecordConflictError(
          collection,
          id,
          condition === 'absent'
            ? 'absent'
            : `version ${typeof condition === 'object' ? condition.version : '?'}`,
        );
      }
      return call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
    }
  }

  async listRecords(
    tenantId: string,
    collection: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<StoredRecord>> {
    assertRecordAddress(tenantId, collection, 'x');
    const pk = keys.record(tenantId, collection, '').pk;
    const start = decodeCursor(query.cursor);
    if (start !== undefined && start.pk !== pk) {
      throw new ValidationError('The cursor belongs to another listing.', { code: 'BAD_CURSOR' });
    }
    const out = await call('DynamoDB', 'Query', () =>
      this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          Limit: Math.min(1_000, Math.max(1, query.limit ?? 100)),
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      ),
    );
    const items = (out.Items ?? []).map((item) => RecordItemSchema.parse(item));
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return cursor === undefined ? { items } : { items, cursor };
  }

  async deleteRecord(tenantId: string, collection: string, id: string): Promise<boolean> {
    assertRecordAddress(tenantId, collection, id);
    const out = await call('DynamoDB', 'DeleteItem', () =>
      this.#db.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: keys.record(tenantId, collection, id),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out.Attributes !== undefined;
  }
}
