import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from './nag.js';

/**
 * The session tag that carries the tenant: `aws:PrincipalTag/tenant` in the role's policy. The
 * vendor tags sessions with TENANT_SESSION_TAG (lib/adapters/aws/tenant-sessions.ts); a test pins
 * the two equal.
 */
export const TENANT_TAG = 'tenant';

const TENANT = `\${aws:PrincipalTag/${TENANT_TAG}}`;

/** What a tenant's session may do with the jobs table: items and queries, never a scan. */
export const TENANT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** What a tenant's session may do with the bucket's objects, under `tenants/<tenant>/` only. */
export const TENANT_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
] as const;

export interface TenantAccessProps {
  /** The table whose partition keys lead with the tenant (`<tenant>#J#<id>`; indexes keyed by `tenant_id`). */
  readonly jobsTable: dynamodb.ITable;
  /** The bucket whose tenant objects live under `tenants/<tenant>/`. */
  readonly bucket: s3.IBucket;
  /** The roles that may take a tenant's session (the API function's, the stage runners'). */
  readonly principals: readonly iam.IRole[];
  /** How long a tenant's session lasts at most. @default 1 hour (IAM's minimum for a role) */
  readonly maxSessionDuration?: Duration;
}

/**
 * Tenant-scoped data access (the token-vending pattern): a role that the given principals assume
 * with a `tenant` session tag, whose policy reaches only that tenant's data — DynamoDB items and
 * index entries whose partition key is the tenant or starts with `<tenant>#`
 * (`dynamodb:LeadingKeys`), and S3 objects under `tenants/<tenant>/`. IAM, not code, then keeps
 * a request for tenant A away from tenant B's items.
 *
 * Tenant ids must not contain `#`, `*` or `?`: `a#*` would match tenant `a#b`'s keys, and the
 * wildcards would widen the pattern; nor be a partition no tenant owns (`TENANTS`). The vendor
 * (lib/adapters/aws/tenant-sessions.ts) refuses such ids before it assumes the role.
 */
export class TenantAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TenantAccessProps) {
    super(scope, id);
    const [first, ...rest] = props.principals;
    if (first === undefined)
      throw new Error('TenantAccess: give at least one principal that vends tenant sessions');
    this.role = new iam.Role(this, 'Role', {
      description: "Stagecoach: one tenant's items and objects, by the session's tenant tag",
      assumedBy: tenantSessionPrincipal(first),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
    });
    // One statement for the others (the stage runners), not one each: a trust policy may hold
    // 2,048 characters by default, and every stage adds a role.
    if (rest.length > 0) {
      this.role.assumeRolePolicy?.addStatements(
        new iam.PolicyStatement({
          principals: rest.map((principal) => new iam.ArnPrincipal(principal.roleArn)),
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          conditions: TRUST_CONDITIONS,
        }),
      );
    }
    for (const principal of props.principals) {
      principal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: [this.role.roleArn],
        }),
      );
    }

    const table = props.jobsTable.tableArn;
    const indexes = `${table}/index/*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TenantItems',
        actions: [...TENANT_TABLE_ACTIONS],
        resources: [table, indexes],
        conditions: {
          // ForAllValues: every key the request touches leads with the tenant. Scan (no leading
          // key, which ForAllValues would let through) is not among the actions.
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [TENANT, `${TENANT}#*`] },
        },
      }),
    );
    const objects = props.bucket.arnForObjects(`tenants/${TENANT}/*`);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TenantObjects',
        actions: [...TENANT_OBJECT_ACTIONS],
        resources: [objects],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TenantListing',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`tenants/${TENANT}/*`] } },
      }),
    );
    acknowledgeWildcard(
      this.role,
      indexes,
      "The tenant's listings query the jobs table's indexes; dynamodb:LeadingKeys limits every query to the session's tenant.",
    );
    acknowledgeWildcard(
      this.role,
      objects,
      "Objects are named at run time under the tenant's prefix; the session tag fixes the prefix to the session's tenant.",
    );
  }
}

/** Only with exactly one session tag, `tenant`, and a value. */
const TRUST_CONDITIONS = {
  StringLike: { [`aws:RequestTag/${TENANT_TAG}`]: '?*' },
  'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_TAG] },
};

function tenantSessionPrincipal(role: iam.IRole): iam.IPrincipal {
  return new iam.SessionTagsPrincipal(new iam.ArnPrincipal(role.roleArn)).withConditions(TRUST_CONDITIONS);
}
