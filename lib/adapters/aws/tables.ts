import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { INDEX } from './dynamo-items.js';

/**
 * The table layout the DynamoDB store expects; the CDK app declares the same. Jobs, events,
 * attempts, holds and dead letters share one table (pk/sk); tenant listings use two GSIs that
 * project the keys and `pipeline` only (for the listing's filter), so the constant job updates
 * never rewrite them (neither the by-tenant keys nor the pipeline ever change) and listings, which
 * are rare, fetch the items by key.
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
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['pipeline'] },
      },
      {
        IndexName: INDEX.byTenantStatus,
        KeySchema: [
          { AttributeName: 'tenant_id', KeyType: 'HASH' },
          { AttributeName: 'status_since', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['pipeline'] },
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
