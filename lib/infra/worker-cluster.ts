import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_LOG_RETENTION, DEFAULT_REMOVAL_POLICY, SECURE_QUEUE_PROPS } from './defaults.js';
import { acknowledge } from './nag.js';

/** The AWS services the worker calls besides S3 and DynamoDB (which have gateway endpoints). */
export const WORKER_INTERFACE_ENDPOINTS = {
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  Events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
} as const;

/** The VPC's address range (a literal, so security group rules and cdk-nag can read it). */
export const WORKER_VPC_CIDR = '10.0.0.0/16';

export interface WorkerClusterProps {
  /** Prefix of the cluster's queue names (the environment's queue prefix). @default '' */
  readonly queuePrefix?: string;
  /** 0: public subnets only (tasks get a public IP, no inbound rule); ≥ 1: private subnets behind NAT. */
  readonly natGateways: number;
  /** With NAT: interface endpoints for the worker's AWS services. @default true */
  readonly vpcEndpoints?: boolean;
  /** With NAT and endpoints: S3's and DynamoDB's prefix lists, so egress can be limited to AWS. @default none */
  readonly egressPrefixListIds?: readonly string[];
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the flow logs. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where the Fargate workers run: a two-AZ VPC (public subnets, and private ones behind NAT when
 * `natGateways` ≥ 1) with gateway endpoints for S3 and DynamoDB, interface endpoints for SQS,
 * EventBridge, CloudWatch Logs and ECR where NAT is used (so none of the workers' traffic crosses
 * the NAT gateways), rejected traffic logged, and an ECS cluster with Container Insights and the
 * Fargate and Fargate Spot capacity providers. Stopped tasks that failed (a crash, out of memory,
 * a task that could not start) are kept in the task-failures queue, which Monitoring alarms on.
 */
export class WorkerCluster extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  /** Whether tasks run in private subnets (behind NAT) or public ones. */
  readonly privateSubnets: boolean;
  /** The interface endpoints' security group, when they exist. */
  readonly endpointSecurityGroup: ec2.SecurityGroup | undefined;
  /** Where the tasks' security groups may send (HTTPS only). */
  readonly egress: readonly ec2.IPeer[];
  /** The stop events of failed tasks. */
  readonly taskFailures: sqs.Queue;
  /** What the task-failures rule could not deliver. */
  readonly taskFailuresUndelivered: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkerClusterProps) {
    super(scope, id);
    const nat = props.natGateways;
    this.privateSubnets = nat > 0;
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(WORKER_VPC_CIDR),
      maxAzs: 2,
      natGateways: nat,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        ...(nat > 0
          ? [{ name: 'workers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }]
          : []),
      ],
      // S3 and DynamoDB traffic stays on the AWS network, free of NAT charges.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    const endpoints = nat > 0 && (props.vpcEndpoints ?? true);
    if (endpoints) {
      this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'Endpoints', {
        vpc: this.vpc,
        description: 'Stagecoach VPC interface endpoints: HTTPS from the VPC',
        allowAllOutbound: false,
      });
      this.endpointSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(WORKER_VPC_CIDR),
        ec2.Port.tcp(443),
        'HTTPS from tasks in the VPC',
      );
      for (const [name, service] of Object.entries(WORKER_INTERFACE_ENDPOINTS)) {
        this.vpc.addInterfaceEndpoint(name, {
          service,
          privateDnsEnabled: true,
          // The security group's own rule admits the VPC (CDK's `open` would add one by token).
          open: false,
          securityGroups: [this.endpointSecurityGroup],
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        });
      }
    } else {
      this.endpointSecurityGroup = undefined;
    }
    const prefixLists = props.egressPrefixListIds ?? [];
    // HTTPS only. With every service the worker calls behind an endpoint and the gateway
    // endpoints' prefix lists known, nothing else is reachable; otherwise HTTPS to any address.
    this.egress =
      endpoints && prefixLists.length > 0
        ? [ec2.Peer.ipv4(WORKER_VPC_CIDR), ...prefixLists.map((pl) => ec2.Peer.prefixList(pl))]
        : [ec2.Peer.anyIpv4()];
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });

    const prefix = props.queuePrefix ?? '';
    this.taskFailuresUndelivered = new sqs.Queue(this, 'TaskFailuresUndelivered', {
      queueName: `${prefix}undelivered-task-failures`,
      ...SECURE_QUEUE_PROPS,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.taskFailuresUndelivered,
      'SQS3',
      'This queue is the dead-letter queue of the task-failures rule target (EventBridge, not an SQS redrive, which cdk-nag does not recognise).',
    );
    this.taskFailures = new sqs.Queue(this, 'TaskFailures', {
      queueName: `${prefix}task-failures`,
      ...SECURE_QUEUE_PROPS,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.taskFailures,
      'SQS3',
      'The task-failures queue keeps stop events for people to read; no consumer processes it, so nothing could fail into a dead-letter queue.',
    );
    new events.Rule(this, 'TaskFailed', {
      description: 'Fargate workers that stopped on their own: crashed, out of memory, or failed to start',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [this.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          stopCode: ['EssentialContainerExited', 'TaskFailedToStart'],
        },
      },
      targets: [
        new targets.SqsQueue(this.taskFailures, {
          deadLetterQueue: this.taskFailuresUndelivered,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
  }

  /** Subnets the tasks run in. */
  get taskSubnets(): ec2.SubnetSelection {
    return { subnetType: this.privateSubnets ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC };
  }
}
