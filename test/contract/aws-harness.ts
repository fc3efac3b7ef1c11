import { DeleteRuleCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import {
  type AwsConfig,
  createAwsBackend,
  provisionAws,
  routeBusToQueue,
} from '../../lib/adapters/aws/index.js';
import type { JobEvent, ServiceEvent } from '../../lib/core/ports/index.js';
import { uniquePrefix } from '../support/factories.js';
import type { EventCollector, Harness } from './harness.js';

export const motoEndpoint = (): string | undefined => inject('motoEndpoint');

/** A config naming fresh resources on the emulator. */
export function awsTestConfig(endpoint: string): AwsConfig {
  const id = uniquePrefix();
  return {
    region: 'us-east-1',
    endpoint,
    queuePrefix: id,
    jobsTable: `${id}jobs`,
    connectionsTable: `${id}connections`,
    eventBus: `${id}bus`,
    eventSource: 'stagecoach.test',
    bucket: `${id}bucket`.toLowerCase(),
    retentionDays: 1,
  };
}

/**
 * The AWS adapters on moto_server. Published events are collected the way a subscriber would
 * receive them: an EventBridge rule on the bus targets an SQS queue that the collector polls.
 */
export async function awsHarness(): Promise<Harness> {
  const endpoint = motoEndpoint();
  if (endpoint === undefined) throw new Error('moto_server is not running');
  const config = awsTestConfig(endpoint);
  const backend = createAwsBackend(config, { eventLingerMs: 5, queue: { lingerMs: 2 } });
  await provisionAws(config, backend.clients, backend.queue, []);
  const { sqs, eventBridge } = backend.clients;
  return {
    name: 'aws (moto)',
    backend,
    minVisibilityMs: 1_000,
    stageVisibilityMs: 4_000,
    atomicConditionalWrites: false,
    fairQueues: false,
    presignable: true,
    async collectEvents(): Promise<EventCollector> {
      const name = `${uniquePrefix()}events`;
      const queueUrl = await routeBusToQueue(backend.clients, config, name, { source: [config.eventSource] });
      const seen: JobEvent[] = [];
      const service: ServiceEvent[] = [];
      let running = true;
      const poll = (async () => {
        while (running) {
          const out = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          const messages = out.Messages ?? [];
          for (const m of messages) {
            const envelope: { detail: JobEvent | ServiceEvent } = JSON.parse(m.Body ?? '{}');
            if ('event_id' in envelope.detail) seen.push(envelope.detail);
            else service.push(envelope.detail);
          }
          if (messages.length > 0) {
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
              }),
            );
          }
        }
      })();
      return {
        events: () => seen,
        serviceEvents: () => service,
        stop: async () => {
          running = false;
          await poll;
          await eventBridge.send(
            new RemoveTargetsCommand({ Rule: name, EventBusName: config.eventBus, Ids: ['queue'] }),
          );
          await eventBridge.send(new DeleteRuleCommand({ Name: name, EventBusName: config.eventBus }));
        },
      };
    },
    async close() {
      await backend.events.flush();
    },
  };
}
