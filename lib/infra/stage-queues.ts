import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueSpecs, type StageQueues } from '../core/engine/index.js';
import type { QueueSpec } from '../core/ports/index.js';
import { SECURE_QUEUE_PROPS, secondsFromMs } from './defaults.js';

export interface StageQueueSetProps {
  /** The stage's queues as the runtime resolves them (`Topology.stageQueues`): names, visibility, redrive. */
  readonly queues: StageQueues;
}

/**
 * The queues of one stage — a queue per priority lane and the dead-letter queue they redrive to —
 * created from the same specs the runtime and the dev runtime use, encrypted and TLS-only.
 */
export class StageQueueSet extends Construct {
  /** Lane queues, lowest priority first. */
  readonly lanes: readonly sqs.Queue[];
  readonly deadLetterQueue: sqs.Queue;
  readonly spec: StageQueues;

  constructor(scope: Construct, id: string, props: StageQueueSetProps) {
    super(scope, id);
    this.spec = props.queues;
    const specs = queueSpecs([props.queues]);
    const dlqSpec = specs.find((spec) => spec.name === props.queues.dlq);
    if (dlqSpec === undefined) throw new Error(`no dead-letter queue spec for ${props.queues.dlq}`);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      ...queueProps(dlqSpec),
      ...SECURE_QUEUE_PROPS,
    });
    this.lanes = props.queues.lanes.map((name, lane) => {
      const spec = specs.find((candidate) => candidate.name === name);
      if (spec === undefined) throw new Error(`no queue spec for ${name}`);
      return new sqs.Queue(this, lane === 0 ? 'Queue' : `Lane${lane}`, {
        ...queueProps(spec),
        ...SECURE_QUEUE_PROPS,
        deadLetterQueue: {
          queue: this.deadLetterQueue,
          maxReceiveCount: spec.maxReceiveCount ?? props.queues.maxReceiveCount,
        },
      });
    });
  }

  /** Receive, change visibility and delete on the lane queues. */
  grantConsume(grantee: iam.IGrantable): void {
    for (const lane of this.lanes) lane.grantConsumeMessages(grantee);
  }

  /** Send to the lane queues (submit, forward, retry). */
  grantSend(grantee: iam.IGrantable): void {
    for (const lane of this.lanes) lane.grantSendMessages(grantee);
  }

  /** Send to the dead-letter queue (the runner dead-letters malformed messages and exhausted retries). */
  grantDeadLetter(grantee: iam.IGrantable): void {
    this.deadLetterQueue.grantSendMessages(grantee);
  }

  /** Read the queues' attributes (the operations API's depths), lanes and dead-letter queue. */
  grantReadDepth(grantee: iam.IGrantable): void {
    for (const queue of [...this.lanes, this.deadLetterQueue]) {
      queue.grant(grantee, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    }
  }

  /** Receive and delete on the dead-letter queue. */
  grantConsumeDeadLetters(grantee: iam.IGrantable): void {
    this.deadLetterQueue.grantConsumeMessages(grantee);
  }
}

function queueProps(spec: QueueSpec): sqs.QueueProps {
  return {
    queueName: spec.name,
    visibilityTimeout: secondsFromMs(spec.visibilityTimeoutMs),
    ...(spec.retentionMs === undefined ? {} : { retentionPeriod: secondsFromMs(spec.retentionMs) }),
  };
}
