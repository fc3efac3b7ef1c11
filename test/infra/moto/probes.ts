import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeFlowLogsCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import {
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  ListLayersCommand,
} from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { motoClientConfig } from './deploy.js';

/** A resource of the deployed stack: its template properties and the ids moto gave it and the others. */
export interface ProbeTarget {
  readonly logicalId: string;
  /** The physical id ListStackResources reports (moto gives none to some types). */
  readonly physicalId: string;
  /** As in the template deployed to moto (intrinsics unresolved). */
  readonly properties: Readonly<Record<string, unknown>>;
  /** The physical id of another resource of the stack. */
  physicalIdOf(logicalId: string): string;
}

/** Checks through the service's own API that a resource exists as the template says; throws if not. */
export type Probe = (target: ProbeTarget) => Promise<void>;

/** The logical id a `{ Ref }` or `{ Fn::GetAtt }` names. */
export function targetOf(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value && typeof value.Ref === 'string') return value.Ref;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) return String(value['Fn::GetAtt'][0]);
  }
  throw new Error(`not a Ref or Fn::GetAtt: ${JSON.stringify(value)}`);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const lastSegment = (value: string): string => value.slice(value.lastIndexOf('/') + 1);
const parsed = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const isIntrinsic = (value: object): boolean => {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || String(keys[0]).startsWith('Fn::'));
};

/**
 * Whether a value moto returns is the template's: equal, except that where the template has an
 * intrinsic (`{ Fn::GetAtt }` in an event pattern) any non-empty string will do.
 */
export function matchesTemplate(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return actual === expected;
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => matchesTemplate(actual[i], item))
    );
  if (isIntrinsic(expected)) return typeof actual === 'string' && actual.length > 0;
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
  const keys = Object.keys(expected);
  return (
    keys.length === Object.keys(actual).length &&
    keys.every(
      (key) => key in actual && matchesTemplate(Reflect.get(actual, key), Reflect.get(expected, key)),
    )
  );
}

/** Whether an event pattern on moto is the template's (either may be an object or JSON text). */
const samePattern = (actual: unknown, expected: unknown): boolean =>
  matchesTemplate(parsed(actual), parsed(expected));

/** The probes of every type moto creates, by CloudFormation type. */
export function motoProbes(endpoint: string): ReadonlyMap<string, Probe> {
  const config = motoClientConfig(endpoint);
  const dynamo = new DynamoDBClient(config);
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const lambda = new LambdaClient(config);
  const iam = new IAMClient(config);
  const logs = new CloudWatchLogsClient(config);
  const sns = new SNSClient(config);
  const ecs = new ECSClient(config);
  const ec2 = new EC2Client(config);

  const routeTable = async (id: string) => {
    const { RouteTables = [] } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }));
    const table = RouteTables[0];
    if (table === undefined) throw new Error(`route table ${id} not found`);
    return table;
  };

  return new Map<string, Probe>([
    [
      'AWS::DynamoDB::Table',
      async (t) => {
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: t.physicalId }));
        check(Table?.TableStatus === 'ACTIVE', `table status ${Table?.TableStatus}`);
        check(str(Table?.KeySchema) === str(t.properties.KeySchema), `key schema ${str(Table?.KeySchema)}`);
      },
    ],
    [
      'AWS::SQS::Queue',
      async (t) => {
        // The redrive policy is what makes a failing message land in the DLQ: compare it in full.
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: lastSegment(t.physicalId) }));
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
        );
        const redrive = t.properties.RedrivePolicy;
        if (typeof redrive !== 'object' || redrive === null) {
          check(Attributes.RedrivePolicy === undefined, `unexpected redrive ${Attributes.RedrivePolicy}`);
          return;
        }
        const actual: unknown = JSON.parse(Attributes.RedrivePolicy ?? '{}');
        const dlq =
          'deadLetterTargetArn' in redrive
            ? lastSegment(t.physicalIdOf(targetOf(redrive.deadLetterTargetArn)))
            : '';
        const max = 'maxReceiveCount' in redrive ? Number(redrive.maxReceiveCount) : Number.NaN;
        check(
          typeof actual === 'object' &&
            actual !== null &&
            'deadLetterTargetArn' in actual &&
            str(actual.deadLetterTargetArn).endsWith(`:${dlq}`) &&
            'maxReceiveCount' in actual &&
            Number(actual.maxReceiveCount) === max,
          `redrive ${Attributes.RedrivePolicy ?? 'missing'}, want ${dlq} after ${max}`,
        );
      },
    ],
    [
      'AWS::Events::EventBus',
      async (t) => {
        const bus = await events.send(new DescribeEventBusCommand({ Name: str(t.properties.Name) }));
        check(bus.Name === t.properties.Name, `bus ${bus.Name}`);
      },
    ],
    [
      'AWS::Events::Archive',
      async (t) => {
        const archive = await events.send(
          new DescribeArchiveCommand({ ArchiveName: str(t.properties.ArchiveName) }),
        );
        check(
          samePattern(archive.EventPattern, t.properties.EventPattern),
          `archive pattern ${archive.EventPattern}`,
        );
        check(archive.RetentionDays === t.properties.RetentionDays, `retention ${archive.RetentionDays}`);
      },
    ],
    [
      'AWS::Events::Rule',
      async (t) => {
        const busName = typeof t.properties.EventBusName === 'string' ? t.properties.EventBusName : undefined;
        const rule = await events.send(
          new DescribeRuleCommand({ Name: t.physicalId, EventBusName: busName }),
        );
        if (t.properties.EventPattern !== undefined)
          check(samePattern(rule.EventPattern, t.properties.EventPattern), `pattern ${rule.EventPattern}`);
        const { Targets = [] } = await events.send(
          new ListTargetsByRuleCommand({ Rule: t.physicalId, EventBusName: busName }),
        );
        const want = Array.isArray(t.properties.Targets) ? t.properties.Targets.length : 0;
        check(Targets.length === want, `${Targets.length} targets, want ${want}`);
      },
    ],
    ['AWS::S3::Bucket', async (t) => void (await s3.send(new HeadBucketCommand({ Bucket: t.physicalId })))],
    [
      'AWS::Lambda::Function',
      async (t) => {
        const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: t.physicalId }));
        check(Configuration?.Runtime === t.properties.Runtime, `runtime ${Configuration?.Runtime}`);
        check(Configuration?.Handler === t.properties.Handler, `handler ${Configuration?.Handler}`);
      },
    ],
    [
      'AWS::Lambda::LayerVersion',
      async (t) => {
        // moto reports no physical id for a layer: find it by its description.
        const { Layers = [] } = await lambda.send(new ListLayersCommand({}));
        const found = Layers.some((l) => l.LatestMatchingVersion?.Description === t.properties.Description);
        check(found, `no layer described "${str(t.properties.Description)}"`);
      },
    ],
    [
      'AWS::Lambda::EventSourceMapping',
      async (t) => {
        const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: t.physicalId }));
        const fn = t.physicalIdOf(targetOf(t.properties.FunctionName));
        check(str(mapping.FunctionArn).endsWith(`:${fn}`), `function ${mapping.FunctionArn}, want ${fn}`);
        check(mapping.BatchSize === t.properties.BatchSize, `batch size ${mapping.BatchSize}`);
      },
    ],
    [
      'AWS::Lambda::Permission',
      async (t) => {
        const fn = t.physicalIdOf(targetOf(t.properties.FunctionName));
        const { Policy = '{}' } = await lambda.send(new GetPolicyCommand({ FunctionName: fn }));
        const principal = str(t.properties.Principal);
        check(Policy.includes(principal), `${fn}'s policy does not name ${principal}`);
      },
    ],
    [
      'AWS::IAM::Role',
      async (t) => {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: t.physicalId }));
        check(Role?.RoleName === t.physicalId, `role ${Role?.RoleName}`);
      },
    ],
    [
      'AWS::IAM::Policy',
      async (t) => {
        const roles = Array.isArray(t.properties.Roles) ? t.properties.Roles : [];
        check(roles.length > 0, 'a policy on no role');
        for (const role of roles) {
          const roleName = t.physicalIdOf(targetOf(role));
          // The inline policy goes by the template's PolicyName; moto's physical id is a generated one.
          const { PolicyDocument } = await iam.send(
            new GetRolePolicyCommand({ RoleName: roleName, PolicyName: str(t.properties.PolicyName) }),
          );
          check(PolicyDocument !== undefined, `no document on ${roleName}`);
        }
      },
    ],
    [
      'AWS::Logs::LogGroup',
      async (t) => {
        const { logGroups = [] } = await logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: t.physicalId }),
        );
        const group = logGroups.find((g) => g.logGroupName === t.physicalId);
        check(group?.retentionInDays === t.properties.RetentionInDays, `retention ${group?.retentionInDays}`);
      },
    ],
    [
      'AWS::SNS::Topic',
      async (t) => void (await sns.send(new GetTopicAttributesCommand({ TopicArn: t.physicalId }))),
    ],
    [
      'AWS::ECS::Cluster',
      async (t) => {
        const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: [t.physicalId] }));
        check(clusters[0]?.status === 'ACTIVE', `cluster ${clusters[0]?.status ?? 'missing'}`);
      },
    ],
    [
      'AWS::ECS::TaskDefinition',
      async (t) => {
        const { taskDefinition } = await ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: t.physicalId }),
        );
        // moto's model takes only the family, memory, containers and volumes from CloudFormation
        // (not Cpu, RuntimePlatform or the roles), so those are what can be compared.
        check(taskDefinition?.memory === str(t.properties.Memory), `memory ${taskDefinition?.memory}`);
        const want = Array.isArray(t.properties.ContainerDefinitions)
          ? t.properties.ContainerDefinitions
          : [];
        const images = (taskDefinition?.containerDefinitions ?? []).map((c) => c.image);
        check(
          matchesTemplate(
            images,
            want.map((c) => Reflect.get(c, 'Image')),
          ),
          `images ${str(images)}`,
        );
      },
    ],
    [
      'AWS::ECS::Service',
      async (t) => {
        const cluster = t.physicalIdOf(targetOf(t.properties.Cluster));
        const { services = [] } = await ecs.send(
          new DescribeServicesCommand({ cluster, services: [t.physicalId] }),
        );
        check(services[0]?.status === 'ACTIVE', `service ${services[0]?.status ?? 'missing'}`);
      },
    ],
    [
      'AWS::EC2::VPC',
      async (t) => {
        const { Vpcs = [] } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [t.physicalId] }));
        check(Vpcs[0]?.CidrBlock === t.properties.CidrBlock, `vpc ${Vpcs[0]?.CidrBlock ?? 'missing'}`);
      },
    ],
    [
      'AWS::EC2::Subnet',
      async (t) => {
        const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [t.physicalId] }));
        check(
          Subnets[0]?.CidrBlock === t.properties.CidrBlock,
          `subnet ${Subnets[0]?.CidrBlock ?? 'missing'}`,
        );
      },
    ],
    [
      'AWS::EC2::SecurityGroup',
      async (t) => {
        const { SecurityGroups = [] } = await ec2.send(
          new DescribeSecurityGroupsCommand({ GroupIds: [t.physicalId] }),
        );
        check(SecurityGroups.length === 1, 'security group missing');
      },
    ],
    ['AWS::EC2::RouteTable', async (t) => void (await routeTable(t.physicalId))],
    [
      'AWS::EC2::Route',
      async (t) => {
        const table = await routeTable(t.physicalIdOf(targetOf(t.properties.RouteTableId)));
        const cidr = t.properties.DestinationCidrBlock;
        check(
          (table.Routes ?? []).some((r) => r.DestinationCidrBlock === cidr),
          `no route to ${str(cidr)}`,
        );
      },
    ],
    [
      'AWS::EC2::SubnetRouteTableAssociation',
      async (t) => {
        const table = await routeTable(t.physicalIdOf(targetOf(t.properties.RouteTableId)));
        const subnet = t.physicalIdOf(targetOf(t.properties.SubnetId));
        check(
          (table.Associations ?? []).some((a) => a.SubnetId === subnet),
          `${subnet} not associated`,
        );
      },
    ],
    [
      'AWS::EC2::InternetGateway',
      async (t) => {
        const { InternetGateways = [] } = await ec2.send(
          new DescribeInternetGatewaysCommand({ InternetGatewayIds: [t.physicalId] }),
        );
        check(InternetGateways.length === 1, 'internet gateway missing');
      },
    ],
    [
      'AWS::EC2::VPCGatewayAttachment',
      async (t) => {
        const igw = t.physicalIdOf(targetOf(t.properties.InternetGatewayId));
        const vpc = t.physicalIdOf(targetOf(t.properties.VpcId));
        const { InternetGateways = [] } = await ec2.send(
          new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igw] }),
        );
        const attached = (InternetGateways[0]?.Attachments ?? []).some((a) => a.VpcId === vpc);
        check(attached, `${igw} not attached to ${vpc}`);
      },
    ],
    [
      'AWS::EC2::VPCEndpoint',
      async (t) => {
        const { VpcEndpoints = [] } = await ec2.send(
          new DescribeVpcEndpointsCommand({ VpcEndpointIds: [t.physicalId] }),
        );
        check(VpcEndpoints.length === 1, 'endpoint missing');
      },
    ],
    [
      'AWS::EC2::FlowLog',
      async (t) => {
        const { FlowLogs = [] } = await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: [t.physicalId] }));
        check(
          FlowLogs[0]?.TrafficType === t.properties.TrafficType,
          `flow log ${FlowLogs[0]?.TrafficType ?? 'missing'}`,
        );
      },
    ],
  ]);
}
