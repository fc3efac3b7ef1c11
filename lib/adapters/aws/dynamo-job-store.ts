import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import type {
  AttemptRecord,
  Connection,
  DeadLetterRecord,
  EventQuery,
  Hold,
  JobChange,
  JobEvent,
  JobQuery,
  JobRecord,
  JobStore,
  Page,
  Subscription,
  Topic,
  TransitionResult,
} from '../../core/ports/index.js';
import { JobExistsError } from '../../core/ports/index.js';
import { conditionOf, ExpressionBuilder, updateOf } from './dynamo-expressions.js';
import {
  AttemptItemSchema,
  ConnectionItemSchema,
  DeadLetterItemSchema,
  decodeCursor,
  EventItemSchema,
  encodeCursor,
  HoldItemSchema,
  INDEX,
  JobItemSchema,
  keys,
  SubscriptionItemSchema,
  statusSortKey,
} from './dynamo-items.js';
import { batchDelete, jobsByKey, queryAll, queryJob } from './dynamo-queries.js';
import { call, isAwsError } from './errors.js';

export interface DynamoJobStoreOptions {
  readonly jobsTable: string;
  /** @default jobsTable */
  readonly connectionsTable?: string;
  /** How long events, attempts and dead letters are kept (TTL). @default 90 days */
  readonly retentionS?: number;
  /** How long a forgotten WebSocket connection is kept (API Gateway closes them after 2 h). @default 3 h */
  readonly connectionTtlS?: number;
}

function parse<S extends z.ZodType>(schema: S, item: Record<string, unknown>): z.output<S> {
  return schema.parse(item);
}

type Item = Record<string, unknown>;

/**
 * JobStore on DynamoDB (document client). A transition is one conditional UpdateItem, or — when it
 * appends events or an attempt — one TransactWriteItems; either way it asks for the item as it was
 * when the condition failed, so the core learns why without a second read.
 */
/** Index reads one listing may make while a filter leaves its page short. */
const MAX_LIST_READS = 10;

const pick = (item: Record<string, unknown>, names: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(names.map((name) => [name, item[name]]));

export class DynamoJobStore implements JobStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #jobs: string;
  readonly #connections: string;
  readonly #retentionS: number;
  readonly #connectionTtlS: number;

  constructor(db: DynamoDBDocumentClient, options: DynamoJobStoreOptions) {
    this.#db = db;
    this.#jobs = options.jobsTable;
    this.#connections = options.connectionsTable ?? options.jobsTable;
    this.#retentionS = options.retentionS ?? 90 * 86_400;
    this.#connectionTtlS = options.connectionTtlS ?? 3 * 3_600;
  }

  async createJob(job: JobRecord, events: readonly JobEvent[]): Promise<void> {
    const item = {
      ...job,
      ...keys.job(job.job_id),
      created_sort: `${job.created_at}#${job.job_id}`,
      status_since: statusSortKey(job.status, job.updated_at),
    };
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.#jobs, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
            ...events.map((event, i) => ({
              Put: { TableName: this.#jobs, Item: this.#eventItem(event, i) },
            })),
          ],
        }),
      );
    } catch (error) {
      if (
        isAwsError(error, 'TransactionCanceledException') &&
        reasons(error)[0]?.Code === 'ConditionalCheckFailed'
      ) {
        throw new JobExistsError(job.job_id);
      }
      await call('DynamoDB', 'TransactWriteItems', () => Promise.reject(error));
    }
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(new GetCommand({ TableName: this.#jobs, Key: keys.job(jobId), ConsistentRead: true })),
    );
    return out.Item === undefined ? undefined : parse(JobItemSchema, out.Item);
  }

  async transition(jobId: string, change: JobChange): Promise<TransitionResult> {
    const x = new ExpressionBuilder();
    const condition = conditionOf(change.expect, x);
    const update = updateOf(change.set, change.unset ?? [], x, new Date().toISOString());
    const base = {
      TableName: this.#jobs,
      Key: keys.job(jobId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const events = change.events ?? [];
    try {
      if (events.length === 0 && change.attempt === undefined) {
        await this.#db.send(new UpdateCommand(base));
      } else {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: base },
              ...events.map((event, i) => ({
                Put: { TableName: this.#jobs, Item: this.#eventItem(event, i) },
              })),
              ...(change.attempt === undefined
                ? []
                : [{ Put: { TableName: this.#jobs, Item: this.#attemptItem(change.attempt) } }]),
            ],
          }),
        );
      }
      return { ok: true };
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) {
        return { ok: false, current: this.#jobOf((error as { Item?: Record<string, AttributeValue> }).Item) };
      }
      if (isAwsError(error, 'TransactionCanceledException')) {
        const [first] = reasons(error);
        if (first?.Code === 'ConditionalCheckFailed') return { ok: false, current: this.#jobOf(first.Item) };
      }
      return call('DynamoDB', 'transition', () => Promise.reject(error));
    }
  }

  async listJobs(query: JobQuery): Promise<Page<JobRecord>> {
    const x = new ExpressionBuilder();
    const sortKey = query.status === undefined ? 'created_sort' : 'status_since';
    let keyCondition = `${x.name('tenant_id')} = ${x.value(query.tenant_id)}`;
    if (query.status !== undefined) {
      keyCondition += ` AND begins_with(${x.name(sortKey)}, ${x.value(`${query.status}#`)})`;
    }
    const limit = Math.min(1_000, Math.max(1, query.limit ?? 50));
    const input: QueryCommandInput = {
      TableName: this.#jobs,
      IndexName: query.status === undefined ? INDEX.byTenant : INDEX.byTenantStatus,
      KeyConditionExpression: keyCondition,
      ScanIndexForward: false,
      Limit: limit,
    };
    // The indexes carry `pipeline` (it never changes, so it costs no index writes), so the filter
    // runs in DynamoDB. A filter applies after Limit: keep reading until the page is full, for a
    // bounded number of reads, then return what was found with a cursor.
    if (query.pipeline !== undefined)
      input.FilterExpression = `${x.name('pipeline')} = ${x.value(query.pipeline)}`;
    input.ExpressionAttributeNames = x.names;
    input.ExpressionAttributeValues = x.values;
    const found: Record<string, unknown>[] = [];
    let next = decodeCursor(query.cursor);
    for (let reads = 0; reads < MAX_LIST_READS; reads += 1) {
      if (next !== undefined) input.ExclusiveStartKey = next;
      const out = await call('DynamoDB', 'Query', () => this.#db.send(new QueryCommand(input)));
      const items = out.Items ?? [];
      const room = limit - found.length;
      found.push(...items.slice(0, room));
      // A page cut short resumes after its last item: the index's keys and the table's identify it.
      next =
        items.length > room
          ? pick(found[found.length - 1] ?? {}, ['pk', 'sk', 'tenant_id', sortKey])
          : out.LastEvaluatedKey;
      if (next === undefined || found.length >= limit) break;
    }
    const items = await jobsByKey(
      this.#db,
      this.#jobs,
      found.map((item) => String(item.pk)),
    );
    const cursor = encodeCursor(next);
    return cursor === undefined ? { items } : { items, cursor };
  }

  async listEvents(jobId: string, query: EventQuery = {}): Promise<Page<JobEvent>> {
    const { items, cursor } = await queryJob(
      this.#db,
      this.#jobs,
      jobId,
      'EVT#',
      query.limit ?? 100,
      query.cursor,
    );
    const events = items.map((item) => parse(EventItemSchema, item));
    return cursor === undefined ? { items: events } : { items: events, cursor };
  }

  async listAttempts(jobId: string): Promise<readonly AttemptRecord[]> {
    const attempts: AttemptRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryJob(this.#db, this.#jobs, jobId, 'ATT#', 1_000, cursor);
      attempts.push(...page.items.map((item) => parse(AttemptItemSchema, item)));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return attempts;
  }

  async putHold(hold: Hold): Promise<void> {
    await call('DynamoDB', 'PutItem', () =>
      this.#db.send(new PutCommand({ TableName: this.#jobs, Item: { ...hold, ...keys.hold(hold.hold_id) } })),
    );
  }

  async deleteHold(holdId: string): Promise<boolean> {
    const out = await call('DynamoDB', 'DeleteItem', () =>
      this.#db.send(
        new DeleteCommand({ TableName: this.#jobs, Key: keys.hold(holdId), ReturnValues: 'ALL_OLD' }),
      ),
    );
    return out.Attributes !== undefined;
  }

  async listHolds(): Promise<readonly Hold[]> {
    const items = await queryAll(this.#db, this.#jobs, 'HOLDS');
    return items.map((item) => parse(HoldItemSchema, item));
  }

  async recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#jobs,
          Item: { ...record, ...keys.deadLetter(record.dead_letter_id), expires_at: this.#expiry() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return;
      await call('DynamoDB', 'PutItem', () => Promise.reject(error));
    }
  }

  async listDeadLetters(
    query: { readonly job_id?: string; readonly limit?: number } = {},
  ): Promise<readonly DeadLetterRecord[]> {
    const x = new ExpressionBuilder();
    const items = await queryAll(
      this.#db,
      this.#jobs,
      'DEADLETTERS',
      query.job_id === undefined
        ? undefined
        : { expression: `${x.name('job_id')} = ${x.value(query.job_id)}`, x },
    );
    return items.slice(0, query.limit ?? items.length).map((item) => parse(DeadLetterItemSchema, item));
  }

  async putConnection(connection: Connection): Promise<void> {
    await call('DynamoDB', 'PutItem', () =>
      this.#db.send(
        new PutCommand({
          TableName: this.#connections,
          Item: {
            expires_at: this.#connectionExpiry(),
            ...connection,
            ...keys.connection(connection.connection_id),
          },
        }),
      ),
    );
  }

  async getConnection(connectionId: string): Promise<Connection | undefined> {
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(new GetCommand({ TableName: this.#connections, Key: keys.connection(connectionId) })),
    );
    return out.Item === undefined ? undefined : parse(ConnectionItemSchema, out.Item);
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const items = await queryAll(this.#db, this.#connections, `CONN#${connectionId}`);
    const deletes: Record<string, unknown>[] = [];
    for (const item of items) {
      deletes.push({ pk: item.pk, sk: item.sk });
      if (typeof item.sk === 'string' && item.sk.startsWith('SUB#')) {
        const sub = parse(SubscriptionItemSchema, item);
        deletes.push(keys.subscriptionByTopic(sub.topic, connectionId));
      }
    }
    await batchDelete(this.#db, this.#connections, deletes);
  }

  async subscribe(subscription: Subscription): Promise<void> {
    const expires_at = this.#connectionExpiry();
    const { connection_id: id, topic } = subscription;
    await call('DynamoDB', 'BatchWriteItem', () =>
      this.#db.send(
        new BatchWriteCommand({
          RequestItems: {
            [this.#connections]: [
              {
                PutRequest: { Item: { ...subscription, expires_at, ...keys.subscriptionByTopic(topic, id) } },
              },
              {
                PutRequest: {
                  Item: { ...subscription, expires_at, ...keys.subscriptionByConnection(id, topic) },
                },
              },
            ],
          },
        }),
      ),
    );
  }

  async unsubscribe(connectionId: string, topic: Topic): Promise<void> {
    await batchDelete(this.#db, this.#connections, [
      keys.subscriptionByTopic(topic, connectionId),
      keys.subscriptionByConnection(connectionId, topic),
    ]);
  }

  async subscribers(topic: Topic): Promise<readonly Subscription[]> {
    const items = await queryAll(this.#db, this.#connections, `TOPIC#${topic}`);
    return items.map((item) => parse(SubscriptionItemSchema, item));
  }

  // -------------------------------------------------------------------------------------------

  #eventItem(event: JobEvent, index: number): Item {
    return { ...event, ...keys.event(event, index), expires_at: this.#expiry() };
  }

  #attemptItem(attempt: AttemptRecord): Item {
    return { ...attempt, ...keys.attempt(attempt), expires_at: this.#expiry() };
  }

  /** The item a failed condition returns comes raw (attribute-value form), even via the document client. */
  #jobOf(item: Record<string, AttributeValue> | undefined): JobRecord | undefined {
    return item === undefined ? undefined : parse(JobItemSchema, unmarshall(item));
  }

  #expiry(): number {
    return Math.floor(Date.now() / 1000) + this.#retentionS;
  }

  #connectionExpiry(): number {
    return Math.floor(Date.now() / 1000) + this.#connectionTtlS;
  }
}

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, AttributeValue>;
}

function reasons(error: unknown): readonly CancellationReason[] {
  const list = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(list) ? list : [];
}
