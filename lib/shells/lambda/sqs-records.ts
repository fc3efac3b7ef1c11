import type { SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from '../../core/ports/index.js';

/** `arn:aws:sqs:region:account:name` → `name`. */
export function queueNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/** An SQS record of a Lambda event as the JobQueue port describes a received message. */
export function messageOf(record: SQSRecord): ReceivedMessage {
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
    sentAt: Number(record.attributes.SentTimestamp ?? Date.now()),
    attributes: Object.fromEntries(
      Object.entries(record.messageAttributes ?? {}).map(([key, value]) => [key, value.stringValue ?? '']),
    ),
  };
}
