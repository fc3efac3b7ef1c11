import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { INDEX } from './dynamo-items.js';

// What the CDK app's grants name besides the layout (lib/infra/state.ts).
export { TENANT_REGISTRY } from './dynamo-items.js';

/**
 * The table layout the DynamoDB stores expect; the CDK app declares the same. Jobs (each one item,
 * its history inside), holds, dead letters and records share one table (pk/sk), every partition
 * key starting with its tenant. Tenant listings use two GSIs that project the keys, the job id, the
 * pipeline (and, by status, the hold that parks a job) — attributes that change only with the index
 * key itself, so the constant job updates never rewrite an index entry; listings, which are rare,
 * fetch the items by key. A third, small GSI holds every hold, for the runners and the sweeper.
 */
export function jobsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'tenant_id', AttributeType: 'S' },
      { AttributeName: 'created_sort', AttributeType: 'S' },
      { AttributeName: 'status_since', AttributeType: 'S' },
      { AttributeName: 'hold_index', AttributeType: 'S' },
      { AttributeName: 'until', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.byTenant,
        KeySchema: [
          { AttributeName: 'tenant_id', KeyType: 'HASH' },
          { AttributeName: 'created_sort', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['job_id', 'pipeline'] },
      },
      {
        IndexName: INDEX.byTenantStatus,
        KeySchema: [
          { AttributeName: 'tenant_id', KeyType: 'HASH' },
          { AttributeName: 'status_since', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['job_id', 'pipeline', 'held_by'] },
      },
      {
        IndexName: INDEX.holds,
        KeySchema: [
          { AttributeName: 'hold_index', KeyType: 'HASH' },
          { AttributeName: 'until', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

export function connectionsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  };
}
