import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys, TENANT_REGISTRY } from '../../lib/adapters/aws/dynamo-items.js';
import { assertSessionTenant, TENANT_SESSION_TAG } from '../../lib/adapters/aws/tenant-sessions.js';
import { tenantPrefix } from '../../lib/core/ports/tenant-blobs.js';
import { JobsState } from '../../lib/infra/state.js';
import { TENANT_TAG, TenantAccess } from '../../lib/infra/tenant-access.js';
import { fastApp } from './support.js';

// IAM policy simulation (@cloud-copilot/iam-simulate) on the synthesized policies: moto does not
// enforce IAM conditions, so the question "is a session of tenant A denied tenant B's items?" is
// answered by evaluating the policies the template deploys, with AWS's evaluation rules.

const ACCOUNT = '123456789012';
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/stagecoach-jobs`;
const BUCKET = 'arn:aws:s3:::stagecoach-data';
const API_ROLE = `arn:aws:iam::${ACCOUNT}:role/stagecoach-api`;
const STAGE_ROLE = `arn:aws:iam::${ACCOUNT}:role/stagecoach-stage`;
const SESSION_ROLE = `arn:aws:iam::${ACCOUNT}:role/tenant-access`;

interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly unknown[];
}

const isDocument = (value: unknown): value is PolicyDocument =>
  typeof value === 'object' && value !== null && 'Statement' in value && Array.isArray(value.Statement);

let sessionPolicy: PolicyDocument;
let trustPolicy: PolicyDocument;
let apiPolicy: PolicyDocument;
let stagePolicy: PolicyDocument;

beforeAll(() => {
  // Prepare: imported table, bucket, API and stage roles, so the policies hold plain ARNs. The
  // stage role gets only what TenantAccess gives it here: the stack gives it no object grant at
  // all (stack.test.ts pins each runner's grants exactly), so this is its whole reach in the bucket.
  const stack = new Stack(fastApp(), 'TenantAccessTest', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const api = iam.Role.fromRoleArn(stack, 'Api', API_ROLE);
  const stage = iam.Role.fromRoleArn(stack, 'Stage', STAGE_ROLE);
  const access = new TenantAccess(stack, 'TenantAccess', {
    jobsTable: dynamodb.Table.fromTableArn(stack, 'Jobs', TABLE),
    bucket: s3.Bucket.fromBucketArn(stack, 'Data', BUCKET),
    principals: [api, stage],
  });
  // The API role's own grant on the table, as the stack gives it (the table's ARN put in below).
  const state = new JobsState(stack, 'State');
  state.grantTenantRegistration(api);
  const template = Template.fromStack(stack);
  const roleId = stack.getLogicalId(access.role.node.defaultChild as iam.CfnRole);
  const tableId = stack.getLogicalId(state.jobsTable.node.defaultChild as dynamodb.CfnTable);
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  const policyOf = (predicate: (roles: unknown) => boolean): PolicyDocument => {
    const found = policies.find((p) => predicate(p.Properties?.Roles));
    const document: unknown = found?.Properties?.PolicyDocument;
    if (!isDocument(document)) throw new Error('policy not found in the template');
    return document;
  };
  sessionPolicy = policyOf((roles) => JSON.stringify(roles) === JSON.stringify([{ Ref: roleId }]));
  // The API role's grant names the session role by Fn::GetAtt: put the role's ARN in its place.
  const apiDocument: unknown = JSON.parse(
    JSON.stringify(policyOf((roles) => JSON.stringify(roles) === JSON.stringify(['stagecoach-api'])))
      .replaceAll(JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }), JSON.stringify(SESSION_ROLE))
      .replaceAll(JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }), JSON.stringify(TABLE)),
  );
  if (!isDocument(apiDocument)) throw new Error("the API role's policy is not a policy document");
  apiPolicy = apiDocument;
  const stageDocument: unknown = JSON.parse(
    JSON.stringify(
      policyOf((roles) => JSON.stringify(roles) === JSON.stringify(['stagecoach-stage'])),
    ).replaceAll(JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }), JSON.stringify(SESSION_ROLE)),
  );
  if (!isDocument(stageDocument)) throw new Error("the stage role's policy is not a policy document");
  stagePolicy = stageDocument;
  const trust: unknown =
    template.findResources('AWS::IAM::Role')[roleId]?.Properties?.AssumeRolePolicyDocument;
  if (!isDocument(trust)) throw new Error('trust policy not found in the template');
  trustPolicy = trust;
});

/** The decision for a request made with a session tagged with `tenant`. */
async function asTenant(
  tenant: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  /** Who took the session (its name shows it; the tag decides). */
  by: 'api' | 'stage' = 'api',
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/tenant-access/${by}-${tenant}`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { [`aws:PrincipalTag/${TENANT_TAG}`]: tenant, ...context },
    },
    identityPolicies: [{ name: 'session', policy: sessionPolicy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  return decision(simulation);
}

/** The decision for a request a stage runner makes with its own role (no tenant session). */
async function asStageRole(action: string, resource: string): Promise<string> {
  return decision({
    request: {
      principal: STAGE_ROLE,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: {},
    },
    identityPolicies: [{ name: 'stage', policy: stagePolicy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  });
}

/** The decision for a request the API function makes with its own role (no tenant session). */
async function asApiRole(
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<string> {
  return decision({
    request: {
      principal: API_ROLE,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: [{ name: 'api', policy: apiPolicy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  });
}

async function decision(simulation: Simulation): Promise<string> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe('tenant-scoped access (token vending), by IAM policy simulation', () => {
  const jobOf = (tenant: string) => keys.job(tenant, 'job-1').pk;

  it("lets tenant A's session read and write A's job, holds and records, and query A's listings", async () => {
    // Act
    const decisions = await Promise.all([
      asTenant('acme', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': [jobOf('acme')] }),
      asTenant('acme', 'dynamodb:UpdateItem', TABLE, { 'dynamodb:LeadingKeys': [jobOf('acme')] }),
      asTenant('acme', 'dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': [keys.hold('acme', 'h').pk] }),
      asTenant('acme', 'dynamodb:Query', `${TABLE}/index/by-tenant-status`, {
        'dynamodb:LeadingKeys': ['acme'],
      }),
      asTenant('acme', 'dynamodb:BatchGetItem', TABLE, {
        'dynamodb:LeadingKeys': [jobOf('acme'), keys.record('acme', 'analyses', 'a').pk],
      }),
    ]);

    // Assess
    expect(decisions).toEqual(['Allowed', 'Allowed', 'Allowed', 'Allowed', 'Allowed']);
  });

  it("denies tenant A's session tenant B's items, B's listings, a batch that mixes both, and a scan", async () => {
    // Act
    const decisions = await Promise.all([
      asTenant('acme', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': [jobOf('globex')] }),
      asTenant('acme', 'dynamodb:DeleteItem', TABLE, {
        'dynamodb:LeadingKeys': [keys.hold('globex', 'h').pk],
      }),
      asTenant('acme', 'dynamodb:Query', `${TABLE}/index/by-tenant`, { 'dynamodb:LeadingKeys': ['globex'] }),
      asTenant('acme', 'dynamodb:BatchGetItem', TABLE, {
        'dynamodb:LeadingKeys': [jobOf('acme'), jobOf('globex')],
      }),
      // A tenant whose id extends another's: `acme` must not reach `acmeco`'s partitions.
      asTenant('acme', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': [jobOf('acmeco')] }),
      asTenant('acme', 'dynamodb:Scan', TABLE),
    ]);

    // Assess
    expect(decisions).toEqual([
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
      'ImplicitlyDenied',
    ]);
  });

  it("keeps a session to its tenant's objects and listing in the bucket", async () => {
    // Prepare
    const object = (tenant: string, key: string) => `${BUCKET}/${tenantPrefix(tenant)}${key}`;

    // Act
    const own = await Promise.all([
      asTenant('acme', 's3:GetObject', object('acme', 'documents/a.csv')),
      asTenant('acme', 's3:PutObject', object('acme', 'results/r.json')),
      asTenant('acme', 's3:ListBucket', BUCKET, { 's3:prefix': `${tenantPrefix('acme')}documents/` }),
    ]);
    const other = await Promise.all([
      asTenant('acme', 's3:GetObject', object('globex', 'documents/a.csv')),
      asTenant('acme', 's3:PutObject', object('acmeco', 'documents/a.csv')),
      asTenant('acme', 's3:ListBucket', BUCKET, { 's3:prefix': 'tenants/' }),
      asTenant('acme', 's3:GetObject', `${BUCKET}/shared/a.csv`),
    ]);

    // Assess
    expect(own).toEqual(['Allowed', 'Allowed', 'Allowed']);
    expect(other).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']);
  });

  it("denies the API role itself every tenant's items and objects: it registers tenants, and nothing else", async () => {
    // Prepare
    const registration = {
      'dynamodb:LeadingKeys': [TENANT_REGISTRY.partition],
      'dynamodb:Attributes': [...TENANT_REGISTRY.attributes],
    };

    // Act
    const register = await asApiRole('dynamodb:PutItem', TABLE, registration);
    const denied = await Promise.all([
      asApiRole('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': [jobOf('acme')] }),
      asApiRole('dynamodb:PutItem', TABLE, {
        'dynamodb:LeadingKeys': [jobOf('acme')],
        'dynamodb:Attributes': ['pk', 'sk'],
      }),
      asApiRole('dynamodb:Query', `${TABLE}/index/by-tenant`, { 'dynamodb:LeadingKeys': ['acme'] }),
      // The registry itself: no reading it, no other attribute, no old item back.
      asApiRole('dynamodb:Query', TABLE, { 'dynamodb:LeadingKeys': [TENANT_REGISTRY.partition] }),
      asApiRole('dynamodb:PutItem', TABLE, {
        ...registration,
        'dynamodb:Attributes': [...TENANT_REGISTRY.attributes, 'status'],
      }),
      asApiRole('dynamodb:PutItem', TABLE, { ...registration, 'dynamodb:ReturnValues': 'ALL_OLD' }),
      asApiRole('s3:GetObject', `${BUCKET}/${tenantPrefix('acme')}documents/a.csv`),
      asApiRole('s3:PutObject', `${BUCKET}/${tenantPrefix('acme')}documents/a.csv`),
    ]);

    // Assess
    expect(register).toBe('Allowed');
    expect(denied).toEqual(denied.map(() => 'ImplicitlyDenied'));
  });

  it('would let a session of a tenant named like the registry own it, which is why the vendor refuses that id', async () => {
    // Act
    const registryAsTenant = await asTenant('TENANTS', 'dynamodb:Query', TABLE, {
      'dynamodb:LeadingKeys': [TENANT_REGISTRY.partition],
    });

    // Assess
    expect(registryAsTenant).toBe('Allowed');
    expect(() => assertSessionTenant(TENANT_REGISTRY.partition)).toThrow(/no tenant owns/);
    expect(TENANT_SESSION_TAG).toBe(TENANT_TAG);
  });

  it.each([
    ['API', API_ROLE, () => apiPolicy],
    ['stage runner', STAGE_ROLE, () => stagePolicy],
  ])('lets the %s role take a session only with exactly one tenant tag', async (_, principal, policy) => {
    // Prepare
    const assume = (context: Record<string, string | string[]>, action = 'sts:AssumeRole'): Simulation => ({
      request: {
        principal,
        action,
        resource: { resource: SESSION_ROLE, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'role', policy: policy() }],
      resourcePolicy: trustPolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    });
    const tag = { [`aws:RequestTag/${TENANT_TAG}`]: 'acme', 'aws:TagKeys': [TENANT_TAG] };

    // Act
    const assumed = await decision(assume(tag));
    const tagged = await decision(assume(tag, 'sts:TagSession'));
    const untagged = await decision(
      assume({ 'aws:TagKeys': ['team'], 'aws:RequestTag/team': 'x' }, 'sts:TagSession'),
    );
    const emptyTenant = await decision(
      assume({ [`aws:RequestTag/${TENANT_TAG}`]: '', 'aws:TagKeys': [TENANT_TAG] }, 'sts:TagSession'),
    );

    // Assess
    expect(assumed).toBe('Allowed');
    expect(tagged).toBe('Allowed');
    expect(untagged).not.toBe('Allowed');
    expect(emptyTenant).not.toBe('Allowed');
  });

  it("denies a stage runner's own role every tenant's objects: it reaches storage only through a session", async () => {
    // Act
    const denied = await Promise.all([
      asStageRole('s3:GetObject', `${BUCKET}/${tenantPrefix('acme')}documents/a.csv`),
      asStageRole('s3:PutObject', `${BUCKET}/${tenantPrefix('globex')}results/r.json`),
      asStageRole('s3:DeleteObject', `${BUCKET}/${tenantPrefix('acme')}documents/a.csv`),
      asStageRole('s3:ListBucket', BUCKET),
    ]);

    // Assess
    expect(denied).toEqual(denied.map(() => 'ImplicitlyDenied'));
  });

  it("keeps a stage run's session for tenant A to A's objects and records", async () => {
    // Prepare: the session a stage runner took for a job of acme (same role, same tag).
    const object = (tenant: string, key: string) => `${BUCKET}/${tenantPrefix(tenant)}${key}`;
    const run = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      asTenant('acme', action, resource, context, 'stage');

    // Act
    const own = await Promise.all([
      run('s3:PutObject', object('acme', 'oma/results/r.json')),
      run('s3:GetObject', object('acme', 'documents/a.csv')),
      run('dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': [keys.record('acme', 'analyses', 'a').pk] }),
    ]);
    const other = await Promise.all([
      run('s3:GetObject', object('globex', 'documents/a.csv')),
      run('s3:PutObject', object('globex', 'oma/results/r.json')),
      run('s3:DeleteObject', object('acmeco', 'documents/a.csv')),
      run('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': [keys.record('globex', 'analyses', 'a').pk] }),
    ]);

    // Assess
    expect(own).toEqual(['Allowed', 'Allowed', 'Allowed']);
    expect(other).toEqual(other.map(() => 'ImplicitlyDenied'));
  });
});
