import { readFileSync } from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SynthesizedStack } from './synth.js';
import { type MotoCopy, motoCopy } from './template.js';
import { zipDirectory } from './zip.js';

/** moto's default account; the region every client here uses. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';

/** Client settings for moto_server at `endpoint` (moto checks no signature). */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
}

export interface MotoDeployment {
  readonly stackName: string;
  readonly status: string;
  /** What moto's CloudFormation says the stack has (ListStackResources). */
  readonly resources: readonly StackResourceSummary[];
  readonly copy: MotoCopy;
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');
const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * What `cdk bootstrap` and the asset publishing of `cdk deploy` would have done: the assets
 * bucket, the bootstrap version parameter the template checks, and every file asset (bundles
 * zipped) at the key the template names.
 */
async function publishAssets(endpoint: string, stack: SynthesizedStack): Promise<string> {
  const s3 = new S3Client({ ...motoClientConfig(endpoint), forcePathStyle: true });
  const resolve = (s: string) =>
    s.replace(/\$\{AWS::AccountId\}/g, MOTO_ACCOUNT).replace(/\$\{AWS::Region\}/g, MOTO_REGION);
  const buckets = new Set(stack.fileAssets.map((a) => resolve(a.bucketName)));
  const templateBucket = [...buckets][0] ?? `stagecoach-moto-templates-${MOTO_ACCOUNT}`;
  buckets.add(templateBucket);
  for (const bucket of buckets) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      // Another deploy to the same moto made it first.
      if (errorName(error) !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }
  await new SSMClient(motoClientConfig(endpoint)).send(
    new PutParameterCommand({
      Name: '/cdk-bootstrap/hnb659fds/version',
      Value: '30',
      Type: 'String',
      Overwrite: true,
    }),
  );
  await Promise.all(
    stack.fileAssets.map((asset) =>
      s3.send(
        new PutObjectCommand({
          Bucket: resolve(asset.bucketName),
          Key: asset.objectKey,
          Body: asset.packaging === 'zip' ? zipDirectory(asset.path) : readFileSync(asset.path),
        }),
      ),
    ),
  );
  return templateBucket;
}

/** The stack's events, newest first, one line each: `<logical id> <status>: <reason>`. */
async function stackEvents(cfn: CloudFormationClient, stackName: string): Promise<string[]> {
  try {
    const { StackEvents = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
    return StackEvents.map(
      (e) => `${e.LogicalResourceId} ${e.ResourceType} ${e.ResourceStatus}: ${e.ResourceStatusReason ?? ''}`,
    );
  } catch (error) {
    return [`(DescribeStackEvents failed: ${errorMessage(error)})`];
  }
}

async function listResources(cfn: CloudFormationClient, stackName: string): Promise<StackResourceSummary[]> {
  const out: StackResourceSummary[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackName })) {
    out.push(...(page.StackResourceSummaries ?? []));
  }
  return out;
}

/**
 * Deploys a synthesized stack to moto_server the way `cdk deploy` would — assets first, then
 * CloudFormation CreateStack with the template from S3 — using the copy of the template moto can
 * take (see motoCopy), and waits for the stack to leave CREATE_IN_PROGRESS. Anything but
 * CREATE_COMPLETE throws with the CreateStack error and the stack events: moto creates resources
 * inside the CreateStack call and answers 500 when one fails, leaving the stack CREATE_IN_PROGRESS
 * with whatever it made so far — which a status check alone would not notice.
 */
export interface DeployOptions {
  /** The types moto has no model for (the copy leaves out what would GetAtt them). */
  readonly skippedTypes: ReadonlySet<string>;
  /** moto's own account of the failure, when the caller started moto_server (Moto.lastError). */
  readonly motoError?: () => string | undefined;
  /** @default 60 s */
  readonly timeoutMs?: number;
  /** Deploy the template as synthesized, without motoCopy's rewrites (to show what moto does with it). @default false */
  readonly verbatim?: boolean;
}

export async function deployToMoto(
  endpoint: string,
  stack: SynthesizedStack,
  options: DeployOptions,
): Promise<MotoDeployment> {
  const { skippedTypes, motoError = () => undefined, timeoutMs = 60_000 } = options;
  const copy: MotoCopy = options.verbatim
    ? { template: stack.template, dropped: new Map(), droppedOutputs: new Map(), rewrites: [] }
    : motoCopy(stack.template, skippedTypes);
  const bucket = await publishAssets(endpoint, stack);
  const key = `templates/${stack.stackName}.json`;
  const s3 = new S3Client({ ...motoClientConfig(endpoint), forcePathStyle: true });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(copy.template) }));
  const cfn = new CloudFormationClient(motoClientConfig(endpoint));
  let createError: string | undefined;
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: stack.stackName,
        // The form AWS takes; moto reads the object from its own S3 whatever host the endpoint has.
        TemplateURL: `https://s3.${MOTO_REGION}.amazonaws.com/${bucket}/${key}`,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      }),
    );
  } catch (error) {
    createError = `${errorName(error)}: ${errorMessage(error).slice(0, 500)}`;
  }
  const deadline = Date.now() + timeoutMs;
  let status = 'UNKNOWN';
  for (;;) {
    try {
      const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stack.stackName }));
      status = Stacks[0]?.StackStatus ?? 'MISSING';
    } catch (error) {
      status = `DescribeStacks failed (${errorMessage(error).slice(0, 200)})`;
    }
    if (createError !== undefined || status !== 'CREATE_IN_PROGRESS' || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (createError !== undefined || status !== 'CREATE_COMPLETE') {
    const events = await stackEvents(cfn, stack.stackName);
    throw new Error(
      [
        `${stack.stackName} on moto: ${status}${createError === undefined ? '' : `; CreateStack: ${createError}`}`,
        `moto_server's last exception: ${motoError() ?? '(not known: moto was started elsewhere)'}`,
        'Stack events (newest first):',
        ...events.map((e) => `  ${e}`),
      ].join('\n'),
    );
  }
  return { stackName: stack.stackName, status, resources: await listResources(cfn, stack.stackName), copy };
}
