import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Service } from '../core/api/index.js';
import { unknownStagesIn } from '../core/control/limits.js';
import { Topology } from '../core/engine/index.js';
import { ConfigError } from '../core/ports/errors.js';
import { registry } from '../pipelines/registry.js';
import { ENV } from '../shells/config.js';
import type { EnvironmentConfig } from './config.js';
import { ConsoleSite } from './console-site.js';
import { retentionDays, SECURE_QUEUE_PROPS } from './defaults.js';
import { FargateStage } from './fargate-stage.js';
import { JobsHttpApi } from './http-api.js';
import { Identity } from './identity.js';
import { LambdaStage } from './lambda-stage.js';
import { LifecycleEvents } from './lifecycle-events.js';
import { LiveWebSocketApi } from './live-api.js';
import { Monitoring } from './monitoring.js';
import { acknowledge } from './nag.js';
import { ServiceFunction } from './service-function.js';
import type { DeployedStage, ServiceResources } from './service-resources.js';
import { JobsState } from './state.js';
import { Storage } from './storage.js';
import { TenantAccess } from './tenant-access.js';
import { WorkerCluster } from './worker-cluster.js';

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
 * dead-letter handler, the upkeep (hold sweeper and reconciler), and alarms with a dashboard. Environment-agnostic: no
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
  /** The VPC, cluster and endpoints of the Fargate stages, when there are any. */
  readonly workers: WorkerCluster | undefined;
  /** The role of tenant-scoped sessions (dynamodb:LeadingKeys, the tenant's S3 prefix). */
  readonly tenantAccess: TenantAccess;
  /** Each bus rule's target's dead-letter queue, by rule. */
  readonly undelivered: ReadonlyMap<string, sqs.Queue>;

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
    const unlimited = unknownStagesIn(
      config.limits ?? {},
      new Set(pipelines.flatMap((p) => p.stages.map((s) => `${p.name}/${s.name}`))),
    );
    if (unlimited.length > 0) {
      throw new ConfigError(`Environment '${props.environmentName}'`, [
        `limits.running names ${unlimited.map((k) => `'${k}'`).join(', ')}, not stages of the services this environment deploys`,
      ]);
    }
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
        // Every function: the API limits submits, the stage runners the jobs running each stage.
        ...(config.limits === undefined ? {} : { [ENV.limits]: JSON.stringify(config.limits) }),
      },
    };

    // Stages: one queue set and consumer each; Fargate infrastructure only if some stage needs it.
    const hasFargate = pipelines.some((p) => p.stages.some((s) => s.compute.kind === 'fargate'));
    this.workers = hasFargate
      ? new WorkerCluster(this, 'Workers', {
          queuePrefix: config.queuePrefix,
          natGateways: config.fargate.natGateways,
          vpcEndpoints: config.fargate.vpcEndpoints,
          egressPrefixListIds: config.fargate.egressPrefixListIds,
          ...logging,
        })
      : undefined;
    this.cluster = this.workers?.cluster;
    const undelivered = new Map<string, sqs.Queue>();
    this.undelivered = undelivered;
    /** Where a rule's target puts what it could not deliver: a queue of its own, alarmed on. */
    const deadLettersOf = (rule: string): sqs.Queue => {
      const queue = new sqs.Queue(this, `${rule}Undelivered`, {
        queueName: `${config.queuePrefix}undelivered-${rule.toLowerCase()}`,
        ...SECURE_QUEUE_PROPS,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(
        queue,
        'SQS3',
        `This queue is the dead-letter queue of the ${rule} rule's target (EventBridge keeps undeliverable events here; cdk-nag recognises only SQS redrives).`,
      );
      undelivered.set(rule, queue);
      return queue;
    };
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
        if (stage.compute.kind === 'fargate' && this.workers !== undefined) {
          const cap = config.fargate.maxTasks;
          stages.set(
            key,
            new FargateStage(this, constructId, {
              ...common,
              cluster: this.workers.cluster,
              maxTasks: cap === undefined ? stage.compute.maxTasks : Math.min(cap, stage.compute.maxTasks),
              assignPublicIp: !this.workers.privateSubnets,
              vpcSubnets: this.workers.taskSubnets,
              egress: this.workers.egress,
              spot: config.fargate.spot,
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
      ...reservedFor(config, 'api'),
      corsAllowOrigins: [
        ...config.api.corsAllowOrigins,
        ...(this.console === undefined ? [] : [this.console.origin]),
      ],
      ...logging,
    });
    const api = this.httpApi.handler.role;
    // No item or object grant of its own: the API reaches a tenant's items and objects (and
    // presigns its uploads and downloads) on that tenant's session (TenantAccess below). Its role
    // only registers tenants for the reconciler, in the one partition no tenant owns.
    this.state.grantTenantRegistration(api);
    this.lifecycleEvents.grantPublish(api);
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
      ...reservedFor(config, 'websocket'),
      ...logging,
    });
    this.fanout = new ServiceFunction(this, 'FanOut', {
      entry: 'fanout.ts',
      description: 'Stagecoach fan-out: lifecycle events to subscribed WebSocket connections',
      environment: { ...resources.environment, [ENV.websocketEndpoint]: this.liveApi.endpoint },
      timeout: Duration.seconds(30),
      ...reservedFor(config, 'fanout'),
      ...logging,
    });
    this.lifecycleEvents.subscribe(
      'FanOutRule',
      new targets.LambdaFunction(this.fanout.function, {
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: deadLettersOf('FanOut'),
      }),
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
      ...reservedFor(config, 'deadLetters'),
      ...logging,
    });
    for (const deployed of allStages) {
      deployed.queues.grantConsumeDeadLetters(this.deadLetters.role);
      this.deadLetters.function.addEventSource(
        new SqsEventSource(deployed.queues.deadLetterQueue, {
          batchSize: 10,
          reportBatchItemFailures: true,
          maxConcurrency: 2,
        }),
      );
    }
    this.state.grantJobsReadWrite(this.deadLetters.role);
    this.lifecycleEvents.grantPublish(this.deadLetters.role);

    // Upkeep: every minute, re-queues the jobs of expired holds and re-sends lost messages (reconciler).
    this.sweeper = new ServiceFunction(this, 'Sweeper', {
      entry: 'sweeper.ts',
      description:
        'Stagecoach upkeep: releases jobs of expired holds, re-sends messages the reconciler finds lost',
      timeout: Duration.seconds(60),
      environment: resources.environment,
      ...reservedFor(config, 'sweeper'),
      ...logging,
    });
    new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the Stagecoach upkeep (hold sweeper, reconciler) every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.sweeper.function, {
          retryAttempts: 0,
          deadLetterQueue: deadLettersOf('Sweep'),
        }),
      ],
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
        ...reservedFor(config, 'listeners'),
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
            deadLetterQueue: deadLettersOf('Listeners'),
          }),
        ],
      });
      // Job state and records through the table grant; objects only on the event's tenant's
      // session (below): the OMA listener deletes a failed run's outputs under its tenant's prefix.
      this.state.grantJobsReadWrite(this.listeners.role);
      this.lifecycleEvents.grantPublish(this.listeners.role);
    }

    // A tenant's session: the API function's calls on behalf of one tenant, each stage run's
    // storage and records on behalf of its job's tenant, and the listeners' work on an event of
    // one tenant — scoped by IAM. No function role has an object grant of its own.
    const listenersRole = this.listeners?.role;
    this.tenantAccess = new TenantAccess(this, 'TenantAccess', {
      jobsTable: this.state.jobsTable,
      bucket: this.storage.bucket,
      principals: [
        api,
        ...allStages.map((deployed) => deployed.runnerRole),
        ...(listenersRole === undefined ? [] : [listenersRole]),
      ],
    });
    const sessionRole = this.tenantAccess.role.roleArn;
    this.httpApi.handler.function.addEnvironment(ENV.tenantRoleArn, sessionRole);
    for (const deployed of allStages) deployed.useTenantSessions(sessionRole);
    this.listeners?.function.addEnvironment(ENV.tenantRoleArn, sessionRole);

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

  #monitoring(config: EnvironmentConfig, stages: ReadonlyMap<string, DeployedStage>): Monitoring {
    const monitoring = new Monitoring(this, 'Monitoring', {
      queuePrefix: config.queuePrefix,
      emails: config.alarms.emails,
      requireSubscriber: config.alarms.requireSubscriber,
      oldestMessageAge: Duration.seconds(config.alarms.oldestMessageAgeSeconds),
      quietTenantAge: Duration.seconds(config.alarms.quietTenantAgeSeconds),
      ...(config.alarms.topicArn === undefined
        ? {}
        : { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarms.topicArn) }),
    });
    monitoring.watchHttpApi('api', this.httpApi.api);
    monitoring.watchTable('jobs', this.state.jobsTable);
    monitoring.watchTable('connections', this.state.connectionsTable);
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
    if (this.listeners !== undefined)
      monitoring.watchFunction('listeners', this.listeners.function, { widget: true });
    for (const handler of this.liveApi.routeHandlers)
      monitoring.watchFunction(handler.node.id, handler.function);
    for (const [rule, queue] of this.undelivered)
      monitoring.watchUndelivered(
        rule,
        queue,
        `the ${rule} rule could not deliver events to its target after its retries; they wait in its dead-letter queue`,
      );
    if (this.workers !== undefined) {
      const fargate = [...stages.values()].filter((d): d is FargateStage => d instanceof FargateStage);
      monitoring.watchTaskFailures(
        'workers',
        this.workers.taskFailures,
        fargate.map((d) => d.runningTasks),
      );
      monitoring.watchUndelivered(
        'TaskFailures',
        this.workers.taskFailuresUndelivered,
        'the task-failures rule could not deliver stop events to its queue',
      );
    }
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
    if (this.monitoring.inbox !== undefined)
      out(
        'AlarmInboxUrl',
        this.monitoring.inbox.queueUrl,
        'Queue the alarm notifications wait in (no subscriber): aws sqs receive-message --queue-url <this>',
      );
    if (this.console !== undefined)
      out('ConsoleUrl', this.console.url, 'The web console (sign in with Cognito)');
  }
}

/** The reserved concurrency cdk.json sets for a service function, as construct props. */
function reservedFor(
  config: EnvironmentConfig,
  fn: keyof EnvironmentConfig['lambda']['reservedConcurrency'],
): { reservedConcurrency?: number } {
  const value = config.lambda.reservedConcurrency[fn];
  return value === undefined ? {} : { reservedConcurrency: value };
}
