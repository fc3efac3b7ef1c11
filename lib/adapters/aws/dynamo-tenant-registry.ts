import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, type Page, systemClock } from '../../core/ports/index.js';
import { ExpressionBuilder } from './dynamo-expressions.js';
import { decodeCursor, encodeCursor, keys, type TENANT_REGISTRY } from './dynamo-items.js';
import { call } from './errors.js';

export interface DynamoTenantRegistryOptions {
  readonly table: string;
  /** How long a registration is kept (TTL): the retention of the jobs it keeps track of. */
  readonly retentionS: number;
  readonly clock?: Clock;
}

/**
 * The registry of tenants the reconciler walks: one small item per tenant in the `TENANTS`
 * partition, the one partition of the jobs table no tenant owns. A store writes it with its own
 * client by default; the API function passes its function-role client here, because a tenant's
 * session may reach only the tenant's own partitions.
 */
export class DynamoTenantRegistry {
  readonly #db: DynamoDBDocumentClient;
  readonly #o: DynamoTenantRegistryOptions;
  readonly #clock: Clock;
  /** Tenants this process has registered, and when. */
  readonly #seen = new Map<string, number>();

  constructor(db: DynamoDBDocumentClient, options: DynamoTenantRegistryOptions) {
    this.#db = db;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Once per process and day per tenant: a plain put, idempotent. */
  async register(tenantId: string): Promise<void> {
    const now = this.#clock.now();
    const last = this.#seen.get(tenantId);
    if (last !== undefined && now - last < 86_400_000) return;
    // Exactly the registry's attributes: the API role's grant allows no other (dynamodb:Attributes).
    const item: Record<(typeof TENANT_REGISTRY.attributes)[number], string | number> = {
      ...keys.tenant(tenantId),
      tenant: tenantId,
      expires_at: Math.floor(now / 1000) + this.#o.retentionS,
    };
    await call('DynamoDB', 'PutItem', () =>
      this.#db.send(new PutCommand({ TableName: this.#o.table, Item: item })),
    );
    this.#seen.set(tenantId, now);
  }

  async list(query: { readonly limit?: number; readonly cursor?: string } = {}): Promise<Page<string>> {
    const start = decodeCursor(query.cursor);
    const x = new ExpressionBuilder();
    const out = await call('DynamoDB', 'Query', () =>
      this.#db.send(
        new QueryCommand({
          TableName: this.#o.table,
          KeyConditionExpression: `${x.name('pk')} = ${x.value(keys.tenant('').pk)}`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
          Limit: Math.min(1_000, Math.max(1, query.limit ?? 100)),
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      ),
    );
    const items = (out.Items ?? []).map((item) => String(item.sk));
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return cursor === undefined ? { items } : { items, cursor };
  }
}
