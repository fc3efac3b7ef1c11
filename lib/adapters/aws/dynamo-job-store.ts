import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  Connection,
  DeadLetterRecord,
  Hold,
  JobChange,
  JobQuery,
  JobRecord,
  JobStore,
  Page,
  SlotRequest,
  StatusCounts,
  Subscription,
  Topic,
  TransitionResult,
} from '../../core/ports/index.js';
import {
  type Clock,
  JOB_STATUSES,
  JobExistsError,
  meetsExpectation,
  noJobs,
  systemClock,
  TERMINAL_STATUSES,
  ValidationError,
} from '../../core/ports/index.js';
import { conditionOf, ExpressionBuilder, updateOf } from './dynamo-expressions.js';
import {
  ConnectionItemSchema,
  DeadLetterItemSchema,
  decodeCursor,
  encodeCursor,
  encodeEntry,
  HoldItemSchema,
  INDEX,
  JobItemSchema,
  keys,
  SubscriptionItemSchema,
  statusSortKey,
} from './dynamo-items.js';
import { batchDelete, batchWrite, itemsByKey, queryAll } from './dynamo-queries.js';
import { acquireSlot, releaseSlot } from './dynamo-slots.js';
import { DynamoTenantRegistry } from './dynamo-tenant-registry.js';
import { call, isAwsError } from './errors.js';

export interface DynamoJobStoreOptions {
  readonly jobsTable: string;
  /** @default jobsTable */
  readonly connectionsTable?: string;
  /** How long a job (from its creation or end), a dead letter or a hold's item is kept (TTL). @default 90 days */
  readonly retentionS?: number;
  /** How long a forgotten WebSocket connection is kept (API Gateway closes them after 2 h). @default 3 h */
  readonly connectionTtlS?: number;
  readonly clock?: Clock;
  /**
   * Where createJob registers the tenant for the reconciler. @default one on this store's client.
   * A store on a tenant's session passes one on the function's own client (see the registry).
   */
  readonly registry?: DynamoTenantRegistry;
}

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Index reads one listing may make while filters leave its page short. */
const MAX_LIST_READS = 10;
/** The item key of a hold in the `holds` index (one small partition: holds are few). */
const HOLD_INDEX_KEY = 'HOLD';

const pick = (item: Item, names: readonly string[]): Item =>
  Object.fromEntries(names.map((name) => [name, item[name]]));

/** The job as the table keeps it: its history as short strings, and the listing indexes' keys. */
function jobItem(job: JobRecord): Item {
  return {
    ...job,
    ...keys.job(job.tenant_id, job.job_id),
    history: job.history.map(encodeEntry),
    created_sort: `${job.created_at}#${job.job_id}`,
    status_since: statusSortKey(job.status, job.updated_at, job.job_id),
  };
}

/**
 * JobStore on DynamoDB (document client). A job is one item carrying its own history, so every
 * transition is one conditional UpdateItem that returns the new state (ReturnValues ALL_NEW, at no
 * extra cost) and, on a failed condition, the item as it was. Only a hold's park and release are
 * small transactions (the job and the hold's count). Partition keys start with the tenant.
 */
export class DynamoJobStore implements JobStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #jobs: string;
  readonly #connections: string;
  readonly #retentionS: number;
  readonly #connectionTtlS: number;
  readonly #clock: Clock;
  readonly #registry: DynamoTenantRegistry;

  constructor(db: DynamoDBDocumentClient, options: DynamoJobStoreOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#db = db;
    this.#jobs = options.jobsTable;
    this.#connections = options.connectionsTable ?? options.jobsTable;
    this.#retentionS = options.retentionS ?? 90 * 86_400;
    this.#connectionTtlS = options.connectionTtlS ?? 3 * 3_600;
    this.#registry =
      options.registry ??
      new DynamoTenantRegistry(db, { table: this.#jobs, retentionS: this.#retentionS, clock: this.#clock });
  }

  async createJob(job: JobRecord): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#jobs,
          Item: jobItem(job),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) throw new JobExistsError(job.job_id);
      await call('DynamoDB', 'PutItem', () => Promise.reject(error));
    }
    await this.#registry.register(job.tenant_id);
  }

  async listTenants(
    query: { readonly limit?: number; readonly cursor?: string } = {},
  ): Promise<Page<string>> {
    return this.#registry.list(query);
  }

  async increment(tenantId: string, name: string, expiresAtS: number): Promise<number> {
    const out = await call('DynamoDB', 'UpdateItem', () =>
      this.#db.send(
        new UpdateCommand({
          TableName: this.#jobs,
          Key: keys.counter(tenantId, name),
          UpdateExpression: 'ADD #v :one SET #ttl = :ttl',
          ExpressionAttributeNames: { '#v': 'value', '#ttl': 'expires_at' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': expiresAtS },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return Number(out.Attributes?.value ?? 1);
  }

  acquireSlot(slot: SlotRequest): Promise<boolean> {
    return acquireSlot(this.#db, this.#jobs, slot);
  }

  releaseSlot(tenantId: string, pool: string, holder: string): Promise<void> {
    return releaseSlot(this.#db, this.#jobs, tenantId, pool, holder);
  }

  async getJob(tenantId: string, jobId: string): Promise<JobRecord | undefined> {
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(
        new GetCommand({ TableName: this.#jobs, Key: keys.job(tenantId, jobId), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? undefined : JobItemSchema.parse(out.Item);
  }

  #update(tenantId: string, jobId: string, change: JobChange) {
    const x = new ExpressionBuilder();
    const { update, conditions } = updateOf(change, jobId, x, new Date(this.#clock.now()).toISOString());
    const condition = [conditionOf(change.expect, x), ...conditions].join(' AND ');
    return {
      TableName: this.#jobs,
      Key: keys.job(tenantId, jobId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
    };
  }

  /**
   * One conditional write. A change that expects one of several statuses and sets one of them (a
   * stage ending unclaimed: QUEUED or RETRY_WAITING before, QUEUED after) is first written
   * expecting the status it sets, which leaves the by-status index alone; only when the job was in
   * another of the expected statuses is it written again, expecting that one and moving the job in
   * the index. The failed first write (1 WRU) happens only after a retry; the usual hop is one
   * write with no index write. A job that keeps changing under both is written as the change asks.
   */
  async transition(tenantId: string, jobId: string, change: JobChange): Promise<TransitionResult> {
    const to = change.set.status;
    const from = change.expect.status;
    if (to === undefined || from === undefined || from.length < 2 || !from.includes(to)) {
      return this.#write(tenantId, jobId, change);
    }
    let status = to;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await this.#write(tenantId, jobId, {
        ...change,
        expect: { ...change.expect, status: [status] },
      });
      // Refused for another reason than the status: the change as asked would be refused too.
      if (
        result.ok ||
        result.current === undefined ||
        result.current.status === status ||
        !meetsExpectation(result.current, change.expect)
      ) {
        return result;
      }
      status = result.current.status;
    }
    return this.#write(tenantId, jobId, change);
  }

  async #write(tenantId: string, jobId: string, change: JobChange): Promise<TransitionResult> {
    try {
      const out = await this.#db.send(
        new UpdateCommand({
          ...this.#update(tenantId, jobId, change),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, job: JobItemSchema.parse(out.Attributes ?? {}) };
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) {
        return { ok: false, current: this.#jobOf((error as { Item?: Record<string, AttributeValue> }).Item) };
      }
      return call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
    }
  }

  async parkOnHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
    now: number,
  ): Promise<TransitionResult | 'hold-inactive'> {
    const reasons = await this.#transact(tenantId, jobId, change, {
      Update: {
        TableName: this.#jobs,
        Key: keys.hold(tenantId, holdId),
        UpdateExpression: 'ADD #parked :one',
        ConditionExpression: 'attribute_exists(pk) AND #state = :active AND #until > :now',
        ExpressionAttributeNames: { '#parked': 'parked', '#state': 'state', '#until': 'until' },
        ExpressionAttributeValues: { ':one': 1, ':active': 'active', ':now': new Date(now).toISOString() },
      },
    });
    if (reasons === undefined) return this.#after(tenantId, jobId);
    if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'hold-inactive';
    return { ok: false, current: await this.getJob(tenantId, jobId) };
  }

  async releaseFromHold(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdId: string,
  ): Promise<TransitionResult> {
    const reasons = await this.#transact(tenantId, jobId, change, {
      Update: {
        TableName: this.#jobs,
        Key: keys.hold(tenantId, holdId),
        UpdateExpression: 'ADD #parked :minus',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#parked': 'parked' },
        ExpressionAttributeValues: { ':minus': -1 },
      },
    });
    if (reasons === undefined) return this.#after(tenantId, jobId);
    // The hold is gone: release the job all the same.
    if (reasons[1]?.Code === 'ConditionalCheckFailed' && reasons[0]?.Code !== 'ConditionalCheckFailed') {
      return this.transition(tenantId, jobId, change);
    }
    return { ok: false, current: await this.getJob(tenantId, jobId) };
  }

  /** The job update and a hold update in one transaction; the cancellation reasons when it was refused. */
  async #transact(
    tenantId: string,
    jobId: string,
    change: JobChange,
    holdUpdate: TransactItem,
  ): Promise<readonly CancellationReason[] | undefined> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [{ Update: this.#update(tenantId, jobId, change) }, holdUpdate],
        }),
      );
      return undefined;
    } catch (error) {
      if (isAwsError(error, 'TransactionCanceledException')) return reasons(error);
      return call('DynamoDB', 'TransactWriteItems', () => Promise.reject(error));
    }
  }

  async #after(tenantId: string, jobId: string): Promise<TransitionResult> {
    const job = await this.getJob(tenantId, jobId);
    return job === undefined ? { ok: false, current: undefined } : { ok: true, job };
  }

  async listJobs(query: JobQuery): Promise<Page<JobRecord>> {
    const byStatus = query.status !== undefined || query.heldBy !== undefined;
    const status = query.heldBy !== undefined ? 'HELD' : query.status;
    const sortKey = byStatus ? 'status_since' : 'created_sort';
    const x = new ExpressionBuilder();
    let keyCondition = `${x.name('tenant_id')} = ${x.value(query.tenant_id)}`;
    const oldestFirst = byStatus && query.enteredBefore !== undefined;
    if (oldestFirst) {
      keyCondition += ` AND ${x.name(sortKey)} BETWEEN ${x.value(`${status}#`)} AND ${x.value(`${status}#${query.enteredBefore}`)}`;
    } else if (byStatus) keyCondition += ` AND begins_with(${x.name(sortKey)}, ${x.value(`${status}#`)})`;
    else if (query.since !== undefined || query.until !== undefined) {
      keyCondition += ` AND ${x.name(sortKey)} BETWEEN ${x.value(query.since ?? '')} AND ${x.value(query.until ?? '~')}`;
    }
    const filters: string[] = [];
    if (query.pipeline !== undefined) filters.push(`${x.name('pipeline')} = ${x.value(query.pipeline)}`);
    if (query.idPrefix !== undefined)
      filters.push(`begins_with(${x.name('job_id')}, ${x.value(query.idPrefix)})`);
    if (query.heldBy !== undefined) filters.push(`${x.name('held_by')} = ${x.value(query.heldBy)}`);
    const limit = Math.min(1_000, Math.max(1, query.limit ?? 50));
    const input: QueryCommandInput = {
      TableName: this.#jobs,
      IndexName: byStatus ? INDEX.byTenantStatus : INDEX.byTenant,
      KeyConditionExpression: keyCondition,
      ScanIndexForward: oldestFirst,
      Limit: limit,
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
      ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
    };
    const start = decodeCursor(query.cursor, ['pk', 'sk', 'tenant_id', sortKey]);
    if (
      start !== undefined &&
      (start.tenant_id !== query.tenant_id || !String(start.pk).startsWith(`${query.tenant_id}#`))
    ) {
      throw new ValidationError('The cursor belongs to another listing.', { code: 'BAD_CURSOR' });
    }
    const found: JobRecord[] = [];
    let next = start;
    for (let reads = 0; reads < MAX_LIST_READS && found.length < limit; reads += 1) {
      if (next !== undefined) input.ExclusiveStartKey = next;
      const out = await call('DynamoDB', 'Query', () => this.#db.send(new QueryCommand(input))).catch(
        (error: unknown) => {
          // A starting key DynamoDB refuses is a cursor someone crafted.
          if (
            start !== undefined &&
            error instanceof Error &&
            /starting key|ExclusiveStartKey/i.test(error.message)
          ) {
            throw new ValidationError('The cursor is not one this API gave out.', { code: 'BAD_CURSOR' });
          }
          throw error;
        },
      );
      const indexItems = out.Items ?? [];
      const jobs = await itemsByKey(
        this.#db,
        this.#jobs,
        indexItems.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })),
      );
      const byKey = new Map(jobs.map((item) => [String(item.pk), JobItemSchema.parse(item)]));
      let consumed = 0;
      for (const indexItem of indexItems) {
        if (found.length >= limit) break;
        consumed += 1;
        const job = byKey.get(String(indexItem.pk));
        if (job !== undefined && this.#matches(job, query, byStatus)) found.push(job);
      }
      // A page cut short resumes after its last examined item: the index's keys and the table's identify it.
      next =
        consumed < indexItems.length
          ? pick(indexItems[consumed - 1] ?? {}, ['pk', 'sk', 'tenant_id', sortKey])
          : out.LastEvaluatedKey;
      if (next === undefined) break;
    }
    const cursor = encodeCursor(next);
    return cursor === undefined ? { items: found } : { items: found, cursor };
  }

  /** The filters the index cannot apply (the job may also have moved on since the index saw it). */
  #matches(job: JobRecord, query: JobQuery, byStatus: boolean): boolean {
    return (
      (!byStatus || job.status === (query.heldBy !== undefined ? 'HELD' : query.status)) &&
      (query.stage === undefined || job.stage === query.stage) &&
      (query.heldBy === undefined || job.held_by === query.heldBy) &&
      (query.since === undefined || job.created_at >= query.since) &&
      (query.until === undefined || job.created_at < query.until) &&
      Object.entries(query.tags ?? {}).every(([k, v]) => job.tags[k] === v)
    );
  }

  async countJobs(query: {
    readonly tenant_id: string;
    readonly pipeline?: string;
    readonly since: string;
  }): Promise<StatusCounts> {
    const counts = noJobs();
    await Promise.all(
      JOB_STATUSES.map(async (status) => {
        const x = new ExpressionBuilder();
        const terminal = TERMINAL_STATUSES.includes(status);
        const keyCondition = terminal
          ? `${x.name('tenant_id')} = ${x.value(query.tenant_id)} AND ${x.name('status_since')} BETWEEN ${x.value(`${status}#${query.since}`)} AND ${x.value(`${status}#~`)}`
          : `${x.name('tenant_id')} = ${x.value(query.tenant_id)} AND begins_with(${x.name('status_since')}, ${x.value(`${status}#`)})`;
        const filter =
          query.pipeline === undefined ? undefined : `${x.name('pipeline')} = ${x.value(query.pipeline)}`;
        let start: Record<string, unknown> | undefined;
        do {
          const out = await call('DynamoDB', 'Query', () =>
            this.#db.send(
              new QueryCommand({
                TableName: this.#jobs,
                IndexName: INDEX.byTenantStatus,
                KeyConditionExpression: keyCondition,
                ExpressionAttributeNames: x.names,
                ExpressionAttributeValues: x.values,
                Select: 'COUNT',
                ...(filter === undefined ? {} : { FilterExpression: filter }),
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              }),
            ),
          );
          counts[status] += out.Count ?? 0;
          start = out.LastEvaluatedKey;
        } while (start !== undefined);
      }),
    );
    return counts;
  }

  // -------------------------------------------------------------------------------------------
  // Holds.
  // -------------------------------------------------------------------------------------------

  async putHold(hold: Hold): Promise<void> {
    await call('DynamoDB', 'PutItem', () =>
      this.#db.send(
        new PutCommand({
          TableName: this.#jobs,
          Item: {
            ...hold,
            ...keys.hold(hold.tenant_id, hold.hold_id),
            hold_index: HOLD_INDEX_KEY,
            expires_at: Math.floor(Date.parse(hold.until) / 1000) + this.#retentionS,
          },
        }),
      ),
    );
  }

  async getHold(tenantId: string, holdId: string): Promise<Hold | undefined> {
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(
        new GetCommand({ TableName: this.#jobs, Key: keys.hold(tenantId, holdId), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? undefined : HoldItemSchema.parse(out.Item);
  }

  async releaseHold(tenantId: string, holdId: string): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#jobs,
          Key: keys.hold(tenantId, holdId),
          UpdateExpression: 'SET #state = :releasing',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':releasing': 'releasing' },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      return call('DynamoDB', 'UpdateItem', () => Promise.reject(error));
    }
  }

  async deleteHoldIfEmpty(tenantId: string, holdId: string): Promise<boolean> {
    try {
      await this.#db.send(
        new DeleteCommand({
          TableName: this.#jobs,
          Key: keys.hold(tenantId, holdId),
          ConditionExpression: 'attribute_not_exists(#parked) OR #parked <= :zero',
          ExpressionAttributeNames: { '#parked': 'parked' },
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      return call('DynamoDB', 'DeleteItem', () => Promise.reject(error));
    }
  }

  async listHolds(
    query: { readonly tenant_id: string } | { readonly active: true } | { readonly due: string },
  ): Promise<readonly Hold[]> {
    if ('tenant_id' in query) {
      const items = await queryAll(this.#db, this.#jobs, keys.hold(query.tenant_id, '').pk);
      return items.map((item) => HoldItemSchema.parse(item));
    }
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await call('DynamoDB', 'Query', () =>
        this.#db.send(
          new QueryCommand({
            TableName: this.#jobs,
            IndexName: INDEX.holds,
            KeyConditionExpression: '#h = :h',
            ExpressionAttributeNames: { '#h': 'hold_index' },
            ExpressionAttributeValues: { ':h': HOLD_INDEX_KEY },
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    const holds = items.map((item) => HoldItemSchema.parse(item));
    if ('active' in query) return holds.filter((h) => h.state === 'active');
    return holds.filter((h) => h.state === 'releasing' || h.until <= query.due);
  }

  // -------------------------------------------------------------------------------------------
  // Dead letters.
  // -------------------------------------------------------------------------------------------

  async recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#jobs,
          Item: {
            ...record,
            ...keys.deadLetter(record.tenant_id ?? null, record.dead_letter_id),
            expires_at: this.#expiry(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return;
      await call('DynamoDB', 'PutItem', () => Promise.reject(error));
    }
  }

  async listDeadLetters(query: {
    readonly tenant_id: string | null;
    readonly job_id?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<Page<DeadLetterRecord>> {
    const pk = keys.deadLetter(query.tenant_id, '').pk;
    const start = decodeCursor(query.cursor, ['pk', 'sk']);
    if (start !== undefined && start.pk !== pk) {
      throw new ValidationError('The cursor belongs to another listing.', { code: 'BAD_CURSOR' });
    }
    const out = await call('DynamoDB', 'Query', () =>
      this.#db.send(
        new QueryCommand({
          TableName: this.#jobs,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            ...(query.job_id === undefined ? {} : { '#job': 'job_id' }),
          },
          ExpressionAttributeValues: {
            ':pk': pk,
            ...(query.job_id === undefined ? {} : { ':job': query.job_id }),
          },
          ...(query.job_id === undefined ? {} : { FilterExpression: '#job = :job' }),
          ScanIndexForward: false,
          Limit: Math.min(1_000, Math.max(1, query.limit ?? 50)),
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      ),
    );
    const items = (out.Items ?? []).map((item) => DeadLetterItemSchema.parse(item));
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return cursor === undefined ? { items } : { items, cursor };
  }

  async getDeadLetter(tenantId: string | null, deadLetterId: string): Promise<DeadLetterRecord | undefined> {
    const out = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(new GetCommand({ TableName: this.#jobs, Key: keys.deadLetter(tenantId, deadLetterId) })),
    );
    return out.Item === undefined ? undefined : DeadLetterItemSchema.parse(out.Item);
  }

  // -------------------------------------------------------------------------------------------
  // Live connections.
  // -------------------------------------------------------------------------------------------

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
    return out.Item === undefined ? undefined : ConnectionItemSchema.parse(out.Item);
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const items = await queryAll(this.#db, this.#connections, `CONN#${connectionId}`);
    const deletes: Item[] = [];
    for (const item of items) {
      deletes.push({ pk: item.pk, sk: item.sk });
      if (typeof item.sk === 'string' && item.sk.startsWith('SUB#')) {
        const sub = SubscriptionItemSchema.parse(item);
        deletes.push(keys.subscriptionByTopic(sub.topic, connectionId));
        deletes.push(keys.watch(sub.tenant_id, connectionId, sub.topic));
      }
    }
    await batchDelete(this.#db, this.#connections, deletes);
  }

  async subscribe(subscription: Subscription): Promise<void> {
    const expires_at = this.#connectionExpiry();
    const { connection_id: id, topic, tenant_id: tenant } = subscription;
    await batchWrite(this.#db, this.#connections, [
      { PutRequest: { Item: { ...subscription, expires_at, ...keys.subscriptionByTopic(topic, id) } } },
      { PutRequest: { Item: { ...subscription, expires_at, ...keys.subscriptionByConnection(id, topic) } } },
      { PutRequest: { Item: { ...subscription, expires_at, ...keys.watch(tenant, id, topic) } } },
    ]);
  }

  async unsubscribe(connectionId: string, topic: Topic): Promise<void> {
    const byConnection = await call('DynamoDB', 'GetItem', () =>
      this.#db.send(
        new GetCommand({
          TableName: this.#connections,
          Key: keys.subscriptionByConnection(connectionId, topic),
        }),
      ),
    );
    const tenant =
      byConnection.Item === undefined ? undefined : SubscriptionItemSchema.parse(byConnection.Item).tenant_id;
    await batchDelete(this.#db, this.#connections, [
      keys.subscriptionByTopic(topic, connectionId),
      keys.subscriptionByConnection(connectionId, topic),
      ...(tenant === undefined ? [] : [keys.watch(tenant, connectionId, topic)]),
    ]);
  }

  async subscribers(topic: Topic): Promise<readonly Subscription[]> {
    const items = await queryAll(this.#db, this.#connections, `TOPIC#${topic}`);
    return items.map((item) => SubscriptionItemSchema.parse(item));
  }

  async watched(tenantId: string): Promise<boolean> {
    const out = await call('DynamoDB', 'Query', () =>
      this.#db.send(
        new QueryCommand({
          TableName: this.#connections,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': `WATCH#${tenantId}` },
          Limit: 1,
        }),
      ),
    );
    return (out.Items ?? []).length > 0;
  }

  // -------------------------------------------------------------------------------------------

  /** The item a failed condition returns comes raw (attribute-value form), even via the document client. */
  #jobOf(item: Record<string, AttributeValue> | undefined): JobRecord | undefined {
    return item === undefined ? undefined : JobItemSchema.parse(unmarshall(item));
  }

  #expiry(): number {
    return Math.floor(this.#clock.now() / 1000) + this.#retentionS;
  }

  #connectionExpiry(): number {
    return Math.floor(this.#clock.now() / 1000) + this.#connectionTtlS;
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
