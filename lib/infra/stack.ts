import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Service } from '../core/api/index.js';
import { Topology } from '../core/engine/index.js';
import { registry } from '../pipelines/registry.js';
import { ENV } from '../shells/config.js';
import type { EnvironmentConfig } from './config.js';
import { ConsoleSite } from './console-site.js';
import { retentionDays } from './defaults.js';
import { FargateStage } from './fargate-stage.js';
import { JobsHttpApi } from './http-api.js';
import { Identity } from './identity.js';
import { LambdaStage } from './lambda-stage.js';
import { LifecycleEvents } from './lifecycle-events.js';
import { LiveWebSocketApi } from './live-api.js';
import { Monitoring } from './monitoring.js';
import { ServiceFunction } from './service-function.js';
import type { DeployedStage, ServiceResources } from './service-resources.js';
import { JobsState } from './state.js';
import { Storage } from './storage.js';

export interface StagecoachStackProps extends StackProps {
  /** dev, staging, prod… (tags, outputs). */
  readonly environmentName: string;
  /** The environment's validated block from cdk.json. */
  readonly config: EnvironmentConfig;
  /** @default the services the environment's `services` selects from lib/pipelines/registry.ts */
  readonly services?: readonly Service[];
  /** @default the worker image built from functions/Dockerfile at deploy time */
  readonly workerImage?: ecs.ContainerImage;
}

/**
 * One Stagecoach deployment: a queue, DLQ and consumer per stage of every pipeline (Lambda or
 * Fargate by the stage's compute), the jobs and connections tables, the event bus with its archive
 * and the WebSocket fan-out, the HTTP and WebSocket APIs behind Cognito, the storage bucket, the
 * dead-letter handler, the hold sweeper, and alarms with a dashboard. Environment-agnostic: no
 * account or region is looked up.
 */
export class StagecoachStack extends Stack {
  readonly topology: Topology;
  readonly state: JobsState;
  readonly lifecycleEvents: LifecycleEvents;
  readonly storage: Storage;
  readonly identity: Identity;
  readonly httpApi: JobsHttpApi;
  readonly liveApi: LiveWebSocketApi;
  /** Every deployed stage, by `pipeline/stage`. */
  readonly stages: ReadonlyMap<string, DeployedStage>;
  readonly fanout: ServiceFunction;
  readonly deadLetters: ServiceFunction;
  readonly sweeper: ServiceFunction;
  /** Runs the services' listeners on their pipelines' job events; absent when there are none. */
  readonly listeners?: ServiceFunction;
  readonly monitoring: Monitoring;
  /** The web console's hosting, when the environment has a `console` block. */
  readonly console: ConsoleSite | undefined;
  /** Only when a pipeline has a Fargate stage. */
  readonly cluster: ecs.Cluster | undefined;

  constructor(scope: Construct, id: string, props: StagecoachStackProps) {
    super(scope, id, { terminationProtection: props.config.removalPolicy === 'retain', ...props });
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retentionDays(config.logRetentionDays);
    const logging = { logRetention, removalPolicy };
    Tags.of(this).add('application', 'stagecoach');
    Tags.of(this).add('environment', props.environmentName);

    const services = props.services ?? registry.select(config.services);
    const pipelines = services.flatMap((s) => s.pipelines);
    this.topology = new Topology(pipelines, config.queuePrefix);
    this.state = new JobsState(this, 'State', {
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    });
    this.lifecycleEvents = new LifecycleEvents(this, 'Events', {
      archiveRetention: Duration.days(config.events.archiveRetentionDays),
    });
    this.storage = new Storage(this, 'Storage', {
      removalPolicy,
      corsAllowOrigins: config.storage.corsAllowOrigins,
      ...(config.storage.expireAfterDays === undefined
        ? {}
        : { expireAfter: Duration.days(config.storage.expireAfterDays) }),
    });
    this.console =
      config.console === undefined
        ? undefined
        : new ConsoleSite(this, 'Console', { accessLogs: this.storage.accessLogs, removalPolicy });
    this.identity = new Identity(this, 'Identity', {
      removalPolicy,
      requireMfa: config.auth.mfa === 'required',
      ...(config.console === undefined || this.console === undefined
        ? {}
        : {
            console: {
              domainPrefix: config.console.domainPrefix,
              callbackUrls: [this.console.url, ...config.console.callbackUrls],
            },
          }),
    });
    const resources: ServiceResources = {
      state: this.state,
      events: this.lifecycleEvents,
      storage: this.storage,
      environment: {
        [ENV.queuePrefix]: config.queuePrefix,
        [ENV.jobsTable]: this.state.jobsTable.tableName,
        [ENV.connectionsTable]: this.state.connectionsTable.tableName,
        [ENV.eventBus]: this.lifecycleEvents.bus.eventBusName,
        [ENV.eventSource]: this.lifecycleEvents.eventSource,
        [ENV.bucket]: this.storage.bucket.bucketName,
        [ENV.retentionDays]: String(config.retentionDays),
        [ENV.logLevel]: config.logLevel,
        [ENV.services]: services.map((s) => s.name).join(','),
      },
    };

    // Stages: one queue set and consumer each; Fargate infrastructure only if some stage needs it.
    const hasFargate = pipelines.some((p) => p.stages.some((s) => s.compute.kind === 'fargate'));
    this.cluster = hasFargate ? this.#cluster(config, logging) : undefined;
    const stages = new Map<string, DeployedStage>();
    for (const pipeline of pipelines) {
      for (const stage of pipeline.stages) {
        const key = `${pipeline.name}/${stage.name}`;
        const common = {
          pipeline,
          stage,
          queues: this.topology.stageQueues(pipeline.name, stage.name),
          resources,
          ...logging,
        };
        const constructId = `Stage-${pipeline.name}-${stage.name}`;
        if (stage.compute.kind === 'fargate' && this.cluster !== undefined) {
          const cap = config.fargate.maxTasks;
          const publicSubnets = config.fargate.natGateways === 0;
          stages.set(
            key,
            new FargateStage(this, constructId, {
              ...common,
              cluster: this.cluster,
              maxTasks: cap === undefined ? stage.compute.maxTasks : Math.min(cap, stage.compute.maxTasks),
              assignPublicIp: publicSubnets,
              vpcSubnets: {
                subnetType: publicSubnets ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
              },
              ...(props.workerImage === undefined ? {} : { image: props.workerImage }),
            }),
          );
        } else {
          stages.set(key, new LambdaStage(this, constructId, common));
        }
      }
      // The forward: each stage may send to the next stage's queues and to no other stage's.
      pipeline.stages.forEach((stage, i) => {
        const next = pipeline.stages[i + 1];
        if (next === undefined) return;
        const from = stages.get(`${pipeline.name}/${stage.name}`);
        const to = stages.get(`${pipeline.name}/${next.name}`);
        if (from !== undefined && to !== undefined) from.allowForwardTo(to.queues);
      });
    }
    this.stages = stages;
    const allStages = [...stages.values()];

    // HTTP API: submit, resume and replay can target any stage.
    this.httpApi = new JobsHttpApi(this, 'HttpApi', {
      identity: this.identity,
      environment: resources.environment,
      throttleRatePerSecond: config.api.throttleRatePerSecond,
      throttleBurst: config.api.throttleBurst,
      corsAllowOrigins: [
        ...config.api.corsAllowOrigins,
        ...(this.console === undefined ? [] : [this.console.origin]),
      ],
      ...logging,
    });
    const api = this.httpApi.handler.role;
    this.state.grantJobsReadWrite(api);
    this.lifecycleEvents.grantPublish(api);
    // Services' routes presign uploads and downloads and read stored results (the OMA analyses).
    this.storage.grantReadWrite(api);
    for (const deployed of allStages) deployed.queues.grantSend(api);
    // GET /queues reads every stage's depths, the dead-letter queues' included.
    for (const deployed of allStages) deployed.queues.grantReadDepth(api);

    // WebSocket API and the fan-out from the bus to its connections.
    this.liveApi = new LiveWebSocketApi(this, 'LiveApi', {
      identity: this.identity,
      environment: resources.environment,
      throttleRatePerSecond: config.api.throttleRatePerSecond,
      throttleBurst: config.api.throttleBurst,
      manageAccountLogRole: config.api.manageAccountLogRole,
      ...logging,
    });
    this.fanout = new ServiceFunction(this, 'FanOut', {
      entry: 'fanout.ts',
      description: 'Stagecoach fan-out: lifecycle events to subscribed WebSocket connections',
      environment: { ...resources.environment, [ENV.websocketEndpoint]: this.liveApi.endpoint },
      timeout: Duration.seconds(30),
      ...logging,
    });
    this.lifecycleEvents.subscribe(
      'FanOutRule',
      new targets.LambdaFunction(this.fanout.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
    );
    for (const fn of [...this.liveApi.routeHandlers, this.fanout]) {
      this.state.grantConnectionsReadWrite(fn.role);
      this.state.grantJobsRead(fn.role);
      this.liveApi.grantManageConnections(fn.role);
    }

    // Dead letters: every stage's DLQ, and only those.
    this.deadLetters = new ServiceFunction(this, 'DeadLetters', {
      entry: 'dead-letters.ts',
      description: "Stagecoach dead letters: records each message's reason and fails its job",
      timeout: Duration.seconds(20),
      environment: resources.environment,
      ...logging,
    });
    for (const deployed of allStages) {
      deployed.queues.grantConsumeDeadLetters(this.deadLetters.role);
      this.deadLetters.function.addEventSource(
        new SqsEventSource(deployed.queues.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }),
      );
    }
    this.state.grantJobsReadWrite(this.deadLetters.role);
    this.lifecycleEvents.grantPublish(this.deadLetters.role);

    // Hold sweeper: every minute, re-queues the jobs of expired holds.
    this.sweeper = new ServiceFunction(this, 'Sweeper', {
      entry: 'sweeper.ts',
      description: 'Stagecoach hold sweeper: releases jobs whose hold has expired',
      timeout: Duration.seconds(60),
      environment: resources.environment,
      ...logging,
    });
    new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the Stagecoach hold sweeper every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.sweeper.function, { retryAttempts: 0 })],
    });
    this.state.grantJobsReadWrite(this.sweeper.role);
    this.lifecycleEvents.grantPublish(this.sweeper.role);
    for (const deployed of allStages) deployed.queues.grantSend(this.sweeper.role);

    // Listeners: the job events of the pipelines they follow, delivered by a rule on the bus.
    const listeners = services.flatMap((s) => s.listeners ?? []);
    if (listeners.length > 0) {
      this.listeners = new ServiceFunction(this, 'Listeners', {
        entry: 'listeners.ts',
        description: "Stagecoach listeners: the services' reactions to their jobs' lifecycle events",
        timeout: Duration.seconds(60),
        environment: resources.environment,
        ...logging,
      });
      new events.Rule(this, 'ListenersRule', {
        description: 'Job events of the pipelines the listeners follow',
        eventBus: this.lifecycleEvents.bus,
        eventPattern: {
          source: [this.lifecycleEvents.eventSource],
          detailType: events.Match.anythingBut('stage.progress'),
          detail: { pipeline: [...new Set(listeners.flatMap((l) => l.pipelines))] },
        },
        targets: [
          new targets.LambdaFunction(this.listeners.function, {
            retryAttempts: 4,
            maxEventAge: Duration.hours(2),
          }),
        ],
      });
      this.state.grantJobsReadWrite(this.listeners.role);
      this.storage.grantReadWrite(this.listeners.role);
      this.lifecycleEvents.grantPublish(this.listeners.role);
    }

    // The console: its files and the config.json that names this environment's API and client.
    const hostedUi = this.identity.hostedUiUrl;
    if (this.console !== undefined && hostedUi !== undefined) {
      this.console.deploy({
        apiUrl: this.httpApi.url,
        wsUrl: this.liveApi.stage.url,
        authDomain: hostedUi,
        clientId: this.identity.client.userPoolClientId,
      });
    }

    this.monitoring = this.#monitoring(config, stages);
    this.#outputs(props.environmentName);
  }

  #cluster(
    config: EnvironmentConfig,
    options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
  ) {
    const nat = config.fargate.natGateways;
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: options.logRetention,
      removalPolicy: options.removalPolicy,
    });
    const vpc = new ec2.Vpc(this, 'Vpc', {
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
    return new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  }

  #monitoring(config: EnvironmentConfig, stages: ReadonlyMap<string, DeployedStage>): Monitoring {
    const monitoring = new Monitoring(this, 'Monitoring', {
      emails: config.alarms.emails,
      oldestMessageAge: Duration.seconds(config.alarms.oldestMessageAgeSeconds),
      ...(config.alarms.topicArn === undefined
        ? {}
        : { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.topicArn) }),
    });
    for (const [key, deployed] of stages) {
      const name = key.replace('/', '-');
      monitoring.watchStage(
        name,
        deployed.queues,
        deployed instanceof LambdaStage ? deployed.function : undefined,
      );
    }
    monitoring.watchFunction('api', this.httpApi.handler.function, { widget: true });
    monitoring.watchFunction('fanout', this.fanout.function, { widget: true });
    monitoring.watchFunction('dead-letters', this.deadLetters.function, { widget: true });
    monitoring.watchFunction('sweeper', this.sweeper.function, { widget: true });
    for (const handler of this.liveApi.routeHandlers)
      monitoring.watchFunction(handler.node.id, handler.function);
    return monitoring;
  }

  #outputs(environmentName: string): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('Environment', environmentName, 'The Stagecoach environment of this stack');
    out('HttpApiUrl', this.httpApi.url, 'Base URL of the jobs API (POST /jobs, GET /jobs/{id}, ...)');
    out('WebSocketUrl', this.liveApi.stage.url, 'WebSocket URL; connect with ?token=<Cognito ID token>');
    out('UserPoolId', this.identity.userPool.userPoolId, 'Cognito user pool of the callers');
    out('UserPoolClientId', this.identity.client.userPoolClientId, 'App client to sign in with');
    out('Region', this.region, 'Region of the deployment');
    out('BucketName', this.storage.bucket.bucketName, 'Bucket of stage inputs and outputs');
    out('EventBusName', this.lifecycleEvents.bus.eventBusName, 'EventBridge bus of lifecycle events');
    out('JobsTableName', this.state.jobsTable.tableName, 'DynamoDB table of jobs, events and attempts');
    out('AlarmTopicArn', this.monitoring.alarmTopic.topicArn, 'SNS topic the alarms notify');
    if (this.console !== undefined)
      out('ConsoleUrl', this.console.url, 'The web console (sign in with Cognito)');
  }
}
