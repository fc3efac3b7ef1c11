import type {
  AttributeDefinition,
  CreateTableCommandInput,
  KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { connectionsTableDefinition, jobsTableDefinition, TENANT_REGISTRY } from '../adapters/aws/tables.js';
import { DEFAULT_REMOVAL_POLICY } from './defaults.js';

/** The attribute the DynamoDB store writes expiry times (epoch seconds) to. */
export const TTL_ATTRIBUTE = 'expires_at';

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

export interface JobsStateProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Refuse to delete the tables (a stack deletion fails instead). @default true */
  readonly deletionProtection?: boolean;
}

/**
 * The DynamoDB tables the store uses, declared from the same definitions the dev runtime creates
 * them with (`lib/adapters/aws/tables.ts`): jobs, events, attempts, holds and dead letters in
 * one table with the two tenant indexes; WebSocket connections and subscriptions in another. Both
 * are encrypted, on-demand, with point-in-time recovery and TTL.
 */
export class JobsState extends Construct {
  readonly jobsTable: dynamodb.Table;
  readonly connectionsTable: dynamodb.Table;
  /** The jobs table's index names. */
  readonly jobsIndexes: readonly string[];

  constructor(scope: Construct, id: string, props: JobsStateProps = {}) {
    super(scope, id);
    const jobs = jobsTableDefinition('jobs');
    this.jobsTable = tableFrom(this, 'Jobs', jobs, props);
    this.jobsIndexes = (jobs.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '');
    this.connectionsTable = tableFrom(this, 'Connections', connectionsTableDefinition('connections'), props);
  }

  /** Read and write the jobs table and query its indexes (the job service, runners, dead letters). */
  grantJobsReadWrite(grantee: iam.IGrantable): void {
    this.#grant(grantee, this.jobsTable, this.jobsIndexes, [...new Set([...READ_ACTIONS, ...WRITE_ACTIONS])]);
  }

  /** Read the jobs table (a WebSocket subscription checks the job's tenant). */
  grantJobsRead(grantee: iam.IGrantable): void {
    this.#grant(grantee, this.jobsTable, this.jobsIndexes, READ_ACTIONS);
  }

  /**
   * Register tenants for the reconciler, and nothing else: PutItem in the `TENANTS` partition, of
   * the registry's attributes only, returning nothing. For the API function, whose tenants' own
   * items go through their tenant sessions (lib/infra/tenant-access.ts).
   */
  grantTenantRegistration(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TenantRegistry',
        actions: ['dynamodb:PutItem'],
        resources: [this.jobsTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': [TENANT_REGISTRY.partition],
            'dynamodb:Attributes': [...TENANT_REGISTRY.attributes],
          },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      }),
    );
  }

  /** Read and write connections and subscriptions. */
  grantConnectionsReadWrite(grantee: iam.IGrantable): void {
    this.#grant(grantee, this.connectionsTable, [], [...new Set([...READ_ACTIONS, ...WRITE_ACTIONS])]);
  }

  // Named index ARNs rather than table/index/*: the grant covers exactly the indexes the store queries.
  #grant(grantee: iam.IGrantable, table: dynamodb.Table, indexes: readonly string[], actions: string[]) {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
    });
  }
}

function tableFrom(
  scope: Construct,
  id: string,
  definition: CreateTableCommandInput,
  props: JobsStateProps,
): dynamodb.Table {
  const attributes = definition.AttributeDefinitions ?? [];
  const table = new dynamodb.Table(scope, id, {
    ...keysOf(definition.KeySchema, attributes, `${id} table`),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TTL_ATTRIBUTE,
    removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    deletionProtection: props.deletionProtection ?? true,
  });
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    const name = index.IndexName ?? '';
    const projection = index.Projection?.ProjectionType ?? 'ALL';
    table.addGlobalSecondaryIndex({
      indexName: name,
      ...keysOf(index.KeySchema, attributes, `index ${name}`),
      projectionType:
        projection === 'KEYS_ONLY'
          ? dynamodb.ProjectionType.KEYS_ONLY
          : projection === 'INCLUDE'
            ? dynamodb.ProjectionType.INCLUDE
            : dynamodb.ProjectionType.ALL,
      ...(index.Projection?.NonKeyAttributes === undefined
        ? {}
        : { nonKeyAttributes: index.Projection.NonKeyAttributes }),
    });
  }
  return table;
}

function keysOf(
  schema: readonly KeySchemaElement[] | undefined,
  attributes: readonly AttributeDefinition[],
  what: string,
): { partitionKey: dynamodb.Attribute; sortKey?: dynamodb.Attribute } {
  const attribute = (keyType: 'HASH' | 'RANGE'): dynamodb.Attribute | undefined => {
    const name = schema?.find((key) => key.KeyType === keyType)?.AttributeName;
    if (name === undefined) return undefined;
    const type = attributes.find((a) => a.AttributeName === name)?.AttributeType;
    if (type === undefined) throw new Error(`${what}: key '${name}' has no attribute definition`);
    const types = {
      S: dynamodb.AttributeType.STRING,
      N: dynamodb.AttributeType.NUMBER,
      B: dynamodb.AttributeType.BINARY,
    };
    return { name, type: types[type] };
  };
  const partitionKey = attribute('HASH');
  if (partitionKey === undefined) throw new Error(`${what}: no partition key`);
  const sortKey = attribute('RANGE');
  return sortKey === undefined ? { partitionKey } : { partitionKey, sortKey };
}
