import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../core/ports/index.js';
import { SECURE_QUEUE_PROPS } from './defaults.js';
import { acknowledge } from './nag.js';
import type { StageQueueSet } from './stage-queues.js';

export interface MonitoringProps {
  /** Notify this topic (its owner manages the subscriptions). @default a new topic, TLS-only */
  readonly alarmTopic?: sns.ITopic;
  /** Addresses subscribed to the created topic. @default none: the notifications go to an inbox queue */
  readonly emails?: readonly string[];
  /** Refuse to build unless someone receives the alarms (`alarmTopic` or `emails`). @default false */
  readonly requireSubscriber?: boolean;
  /** Alarm when a stage's oldest waiting message is older than this. @default 15 minutes */
  readonly oldestMessageAge?: Duration;
  /** Alarm when the oldest message of a quiet tenant (SQS fair queues) is older than this. @default 5 minutes */
  readonly quietTenantAge?: Duration;
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
  /** Prefix of the inbox queue's name (the environment's queue prefix). @default '' */
  readonly queuePrefix?: string;
}

/** How the alarms reach someone. */
export type AlarmDelivery = 'topic' | 'email' | 'inbox';

const MINUTE = Duration.minutes(1);
const ALARMS_PER_STATUS_WIDGET = 100;
const FIVE_MINUTES = Duration.minutes(5);
const max = (period: Duration) => ({ period, statistic: cloudwatch.Stats.MAXIMUM });
const sum = (period: Duration) => ({ period, statistic: cloudwatch.Stats.SUM });

/**
 * Alarms that reach someone, and a dashboard that shows them. Every alarm notifies the alarm topic
 * (and again when it clears): an existing topic, e-mail subscribers, or — where neither is set
 * and the environment allows it — an encrypted inbox queue that keeps the notifications 14 days.
 */
export class Monitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly delivery: AlarmDelivery;
  /** Where the notifications wait when nobody is subscribed. */
  readonly inbox: sqs.Queue | undefined;
  readonly dashboard: cloudwatch.Dashboard;
  readonly #alarms: cloudwatch.Alarm[] = [];
  /** The alarms in the dashboard's status widgets, at most 100 a widget (CloudWatch's limit). */
  readonly #statusChunks: cloudwatch.Alarm[][] = [];
  readonly #oldestMessageAge: Duration;
  readonly #quietTenantAge: Duration;
  readonly #action: cwActions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    this.#oldestMessageAge = props.oldestMessageAge ?? Duration.minutes(15);
    this.#quietTenantAge = props.quietTenantAge ?? FIVE_MINUTES;
    const emails = props.emails ?? [];
    if (props.requireSubscriber === true && props.alarmTopic === undefined && emails.length === 0) {
      throw new ConfigError('Monitoring', [
        'nobody would receive the alarms: give an alarm topic or at least one e-mail address',
      ]);
    }
    if (props.alarmTopic !== undefined) {
      this.alarmTopic = props.alarmTopic;
      this.delivery = 'topic';
      this.inbox = undefined;
    } else {
      const topic = new sns.Topic(this, 'Alarms', { displayName: 'Stagecoach alarms', enforceSSL: true });
      for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
      if (emails.length === 0) {
        this.inbox = new sqs.Queue(this, 'Inbox', {
          queueName: `${props.queuePrefix ?? ''}alarm-inbox`,
          ...SECURE_QUEUE_PROPS,
          retentionPeriod: Duration.days(14),
        });
        topic.addSubscription(new subscriptions.SqsSubscription(this.inbox));
        acknowledge(
          this.inbox,
          'SQS3',
          'The alarm inbox is read by people (aws sqs receive-message); no consumer processes it, so nothing could fail into a dead-letter queue.',
        );
        this.delivery = 'inbox';
      } else {
        this.inbox = undefined;
        this.delivery = 'email';
      }
      this.alarmTopic = topic;
    }
    this.#action = new cwActions.SnsAction(this.alarmTopic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    // The status of every alarm on top: the widget reads its list when the stack is synthesized.
    this.#statusWidget();
    if (this.inbox !== undefined) {
      this.dashboard.addWidgets(
        new cloudwatch.SingleValueWidget({
          title: 'Alarm notifications waiting in the inbox',
          metrics: [this.inbox.metricApproximateNumberOfMessagesVisible(max(FIVE_MINUTES))],
          width: 6,
        }),
      );
    }
  }

  get alarms(): readonly cloudwatch.Alarm[] {
    return this.#alarms;
  }

  /**
   * A stage: messages dead-lettered, dead letters left unhandled, the age of its oldest message and
   * of its quiet tenants' oldest message in each lane; its function if it has one.
   *
   * The dead-letters function takes every message off the DLQ as it arrives, so the queue's depth
   * stays at zero and says nothing; what it receives does. (NumberOfMessagesSent would miss the
   * messages SQS moves there after maxReceiveCount.)
   */
  watchStage(name: string, queues: StageQueueSet, fn?: lambda.IFunction): void {
    const dlq = queues.deadLetterQueue;
    const deadLettered = dlq.metricNumberOfMessagesReceived(sum(FIVE_MINUTES));
    this.#alarm(`${name}DeadLettered`, {
      alarmDescription: `${name}: messages reached the dead-letter queue ${queues.spec.dlq}; their jobs failed — see GET /dead-letters`,
      metric: deadLettered,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const waiting = dlq.metricApproximateNumberOfMessagesVisible(max(FIVE_MINUTES));
    this.#alarm(`${name}DeadLetters`, {
      alarmDescription: `${name}: dead letters have waited in ${queues.spec.dlq} for 15 minutes; the dead-letters function is not taking them — see its log group`,
      metric: waiting,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    const ages = queues.lanes.map((lane) => lane.metricApproximateAgeOfOldestMessage(max(MINUTE)));
    const quietAges = queues.lanes.map((lane) =>
      lane.metric('ApproximateAgeOfOldestMessageInQuietGroups', max(MINUTE)),
    );
    queues.lanes.forEach((_, lane) => {
      const suffix = lane === 0 ? '' : `Lane${lane}`;
      const queue = queues.spec.lanes[lane];
      const age = ages[lane];
      const quiet = quietAges[lane];
      if (age === undefined || quiet === undefined) return;
      this.#alarm(`${name}OldestMessage${suffix}`, {
        alarmDescription: `${name}: a message has waited more than ${this.#oldestMessageAge.toMinutes()} minutes in ${queue}`,
        metric: age,
        threshold: this.#oldestMessageAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
      this.#alarm(`${name}QuietTenantWait${suffix}`, {
        alarmDescription: `${name}: a tenant that is not flooding ${queue} has waited more than ${this.#quietTenantAge.toSeconds()} s — fairness does not hold; see the noisy groups on the dashboard`,
        metric: quiet,
        threshold: this.#quietTenantAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
    });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: `${name}: queue`,
        left: queues.lanes.flatMap((lane) => [
          lane.metricApproximateNumberOfMessagesVisible(max(MINUTE)),
          lane.metricApproximateNumberOfMessagesNotVisible(max(MINUTE)),
        ]),
        right: [deadLettered, waiting],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: `${name}: oldest message (s), all and quiet tenants`,
        left: [...ages, ...quietAges],
        right: queues.lanes.map((lane) => lane.metric('ApproximateNumberOfNoisyGroups', max(MINUTE))),
        rightYAxis: { label: 'noisy tenants', min: 0 },
        width: 8,
      }),
    ];
    if (fn !== undefined) {
      this.watchFunction(name, fn);
      widgets.push(functionWidget(name, fn));
    }
    this.dashboard.addWidgets(...widgets);
  }

  /** A function's errors (any, over five minutes) and throttles (any, in two periods running). */
  watchFunction(name: string, fn: lambda.IFunction, options: { readonly widget?: boolean } = {}): void {
    this.#alarm(`${name}Errors`, {
      alarmDescription: `${name}: the function failed; see its log group`,
      metric: fn.metricErrors(sum(FIVE_MINUTES)),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.#alarm(`${name}Throttles`, {
      alarmDescription: `${name}: invocations were throttled for ten minutes; raise its reserved concurrency or the account's limit`,
      metric: fn.metricThrottles(sum(FIVE_MINUTES)),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    if (options.widget === true) this.dashboard.addWidgets(functionWidget(name, fn));
  }

  /** A queue that keeps what could not be delivered (a bus rule's target): anything in it is news. */
  watchUndelivered(name: string, queue: sqs.IQueue, what: string): void {
    const depth = queue.metricApproximateNumberOfMessagesVisible(max(FIVE_MINUTES));
    this.#alarm(`${name}Undelivered`, {
      alarmDescription: `${name}: ${what}`,
      metric: depth,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({ title: `${name}: undelivered`, metrics: [depth], width: 4 }),
    );
  }

  /** Fargate tasks that stopped on their own (crashed, out of memory, failed to start), counted as they arrive in `queue`. */
  watchTaskFailures(name: string, queue: sqs.IQueue, running: readonly cloudwatch.IMetric[]): void {
    const failures = queue.metricNumberOfMessagesSent(sum(FIVE_MINUTES));
    this.#alarm(`${name}TaskFailures`, {
      alarmDescription: `${name}: a Fargate task stopped on its own (crash, out of memory, or it failed to start); the stop events wait in the task-failures queue`,
      metric: failures,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name}: Fargate tasks`,
        left: [...running],
        right: [failures],
        rightYAxis: { label: 'failed', min: 0 },
        width: 8,
      }),
    );
  }

  /** A table's throttled reads and writes (any, in two five-minute periods running). */
  watchTable(name: string, table: dynamodb.ITable): void {
    const throttles = new cloudwatch.MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: table.metric('ReadThrottleEvents', sum(FIVE_MINUTES)),
        writes: table.metric('WriteThrottleEvents', sum(FIVE_MINUTES)),
      },
      label: `${name} throttled requests`,
      period: FIVE_MINUTES,
    });
    this.#alarm(`${name}Throttles`, {
      alarmDescription: `${name}: DynamoDB throttled requests for ten minutes (a hot partition, or an account limit)`,
      metric: throttles,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name}: throttled and consumed`,
        left: [throttles],
        right: [
          table.metricConsumedReadCapacityUnits(sum(FIVE_MINUTES)),
          table.metricConsumedWriteCapacityUnits(sum(FIVE_MINUTES)),
        ],
        width: 8,
      }),
    );
  }

  /** An HTTP API's 5xx answers (any, over five minutes: hostile input gets a 4xx, so a 5xx is a fault). */
  watchHttpApi(name: string, api: apigw.HttpApi): void {
    const errors = api.metricServerError(sum(FIVE_MINUTES));
    this.#alarm(`${name}ServerErrors`, {
      alarmDescription: `${name}: the API answered 5xx; see the API function's log group`,
      metric: errors,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name}: requests and errors`,
        left: [
          api.metricCount(sum(MINUTE)),
          api.metricClientError(sum(MINUTE)),
          api.metricServerError(sum(MINUTE)),
        ],
        right: [api.metricLatency({ period: MINUTE, statistic: cloudwatch.Stats.p(99) })],
        width: 8,
      }),
    );
  }

  /** Any other graph for the dashboard. */
  addWidgets(...widgets: cloudwatch.IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  #alarm(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.#alarms.push(alarm);
    let chunk = this.#statusChunks[this.#statusChunks.length - 1];
    if (chunk === undefined || chunk.length >= ALARMS_PER_STATUS_WIDGET) chunk = this.#statusWidget();
    chunk.push(alarm);
  }

  #statusWidget(): cloudwatch.Alarm[] {
    const chunk: cloudwatch.Alarm[] = [];
    this.#statusChunks.push(chunk);
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: this.#statusChunks.length === 1 ? 'Alarms' : `Alarms (${this.#statusChunks.length})`,
        alarms: chunk,
        width: 24,
        height: 6,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    return chunk;
  }
}

function functionWidget(name: string, fn: lambda.IFunction): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title: `${name}: function`,
    left: [
      fn.metricInvocations({ period: MINUTE }),
      fn.metricErrors({ period: MINUTE }),
      fn.metricThrottles({ period: MINUTE }),
    ],
    right: [fn.metricDuration({ period: MINUTE, statistic: cloudwatch.Stats.p(99) })],
    width: 8,
  });
}
