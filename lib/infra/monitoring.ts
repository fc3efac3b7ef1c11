import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StageQueueSet } from './stage-queues.js';

export interface MonitoringProps {
  /** Notify this topic. @default a new topic, TLS-only */
  readonly alarmTopic?: sns.ITopic;
  /** Addresses subscribed to the created topic. @default none */
  readonly emails?: readonly string[];
  /** Alarm when a stage's oldest waiting message is older than this. @default 15 minutes */
  readonly oldestMessageAge?: Duration;
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
}

const MINUTE = Duration.minutes(1);

/**
 * Alarms and a dashboard: a dead-letter queue that is not empty, a stage whose oldest message
 * waits too long, a function that fails — each notifying the alarm topic.
 */
export class Monitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly #alarms: cloudwatch.Alarm[] = [];
  readonly #oldestMessageAge: Duration;
  readonly #action: cwActions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    this.#oldestMessageAge = props.oldestMessageAge ?? Duration.minutes(15);
    if (props.alarmTopic === undefined) {
      const topic = new sns.Topic(this, 'Alarms', { displayName: 'Stagecoach alarms', enforceSSL: true });
      for (const email of props.emails ?? [])
        topic.addSubscription(new subscriptions.EmailSubscription(email));
      this.alarmTopic = topic;
    } else {
      this.alarmTopic = props.alarmTopic;
    }
    this.#action = new cwActions.SnsAction(this.alarmTopic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
  }

  get alarms(): readonly cloudwatch.Alarm[] {
    return this.#alarms;
  }

  /** A stage: dead letters, the age of its oldest message, its queue depth; its function if it has one. */
  watchStage(name: string, queues: StageQueueSet, fn?: lambda.IFunction): void {
    const dlqDepth = queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: MINUTE,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    this.#alarm(`${name}DeadLetters`, {
      alarmDescription: `${name}: messages in the dead-letter queue ${queues.spec.dlq}; inspect and replay them`,
      metric: dlqDepth,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const ages = queues.lanes.map((lane) =>
      lane.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: cloudwatch.Stats.MAXIMUM }),
    );
    ages.forEach((age, lane) => {
      this.#alarm(`${name}OldestMessage${lane === 0 ? '' : `Lane${lane}`}`, {
        alarmDescription: `${name}: a message has waited more than ${this.#oldestMessageAge.toMinutes()} minutes in ${queues.spec.lanes[lane]}`,
        metric: age,
        threshold: this.#oldestMessageAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
    });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: `${name}: queue`,
        left: queues.lanes.flatMap((lane) => [
          lane.metricApproximateNumberOfMessagesVisible({
            period: MINUTE,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          lane.metricApproximateNumberOfMessagesNotVisible({
            period: MINUTE,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ]),
        right: [dlqDepth],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: `${name}: oldest message (s)`, left: ages, width: 8 }),
    ];
    if (fn !== undefined) {
      this.watchFunction(name, fn);
      widgets.push(functionWidget(name, fn));
    }
    this.dashboard.addWidgets(...widgets);
  }

  /** A function's errors (any, over five minutes). */
  watchFunction(name: string, fn: lambda.IFunction, options: { readonly widget?: boolean } = {}): void {
    this.#alarm(`${name}Errors`, {
      alarmDescription: `${name}: the function failed; see its log group`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    if (options.widget === true) this.dashboard.addWidgets(functionWidget(name, fn));
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
