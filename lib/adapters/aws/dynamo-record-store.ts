import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Page, RecordCondition, RecordStore, StoredRecord } from '../../core/ports/index.js';
import { assertRecordAddress, RecordConflictError } from '../../core/ports/index.js';
import { decodeCursor, encodeCursor } from './dynamo-items.js';
import { call, isAwsError } from './errors.js';

const RecordItemSchema = z.object({
  id: z.string(),
  data: z.record(z.string(), z.unknown()),
  version: z.number(),
  updated_at: z.string(),
}) satisfies z.ZodType<StoredRecord>;

const key = (collection: string, id: string) => ({ pk: `REC#${collection}`, sk: id });

/**
 * RecordStore on DynamoDB, in the jobs table: a collection is a partition (`REC#<collection>`), a
 * record an item keyed by its id; a conditional put checks the version in the same request.
 */
export class DynamoRecordStore implements RecordStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, options: { readonly table: string }) {
    this.#db = db;
    this.#table = options.table;
  }

  async getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    assertRecordAddress(collection, id);
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(
        new GetCommand({ TableName: this.#table, Key: key(collection, id), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? undefined : RecordItemSchema.parse(out.Item);
  }

  async putRecord(
    collection: string,
    id: string,
    data: Readonly<Record<string, unknown>>,
    condition?: RecordCondition,
  ): Promise<StoredRecord> {
    assertRecordAddress(collection, id);
    const version =
      condition === undefined
        ? await this.#currentVersion(collection, id)
        : condition === 'absent'
          ? 0
          : condition.version;
    const record: StoredRecord = { id, data, version: version + 1, updated_at: new Date().toISOString() };
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...key(collection, id), ...record },
          ...(condition === undefined
            ? {}
            : condition === 'absent'
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#version = :version',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':version': condition.version },
                }),
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) {
        throw new RecordConflictError(
          collection,
          id,
          condition === 'absent' ? 'absent' : `version ${version}`,
        );
      }
      await call('DynamoDB', 'PutItem', () => Promise.reject(error));
    }
    return record;
  }

  async listRecords(
    collection: string,
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<StoredRecord>> {
    assertRecordAddress(collection, 'x');
    const start = decodeCursor(query.cursor);
    const out = await call('DynamoDB', 'Query', () =>
      this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `REC#${collection}` },
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

  async deleteRecord(collection: string, id: string): Promise<boolean> {
    assertRecordAddress(collection, id);
    const out = await call('DynamoDB', 'DeleteItem', () =>
      this.#db.send(
        new DeleteCommand({ TableName: this.#table, Key: key(collection, id), ReturnValues: 'ALL_OLD' }),
      ),
    );
    return out.Attributes !== undefined;
  }

  /** An unconditional put keeps counting versions from the stored one. */
  async #currentVersion(collection: string, id: string): Promise<number> {
    return (await this.getRecord(collection, id))?.version ?? 0;
  }
}
