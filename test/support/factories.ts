import { randomUUID } from 'node:crypto';
import type { JobEnvelope, JobEvent, JobRecord, ReceivedMessage } from '../../lib/core/ports/index.js';

export function envelope(overrides: Partial<JobEnvelope> = {}): JobEnvelope {
  return {
    job_id: randomUUID(),
    pipeline: 'p',
    entry_stage: 'a',
    exit_stage: 'c',
    stage: 'a',
    hop: 0,
    retry_count: 0,
    priority: 0,
    tenant_id: 'tenant-a',
    params: { item_id: 'item-1' },
    tags: {},
    created_at: '2026-01-01T00:00:00.000Z',
    trace_id: randomUUID(),
    ...overrides,
  };
}

export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  const env = envelope();
  return {
    ...env,
    status: 'QUEUED',
    updated_at: env.created_at,
    version: 1,
    stage_hop: 0,
    history: [],
    ...overrides,
  };
}

export function jobEvent(
  job: Pick<JobRecord, 'job_id' | 'tenant_id' | 'pipeline'>,
  overrides: Partial<JobEvent> = {},
): JobEvent {
  return {
    event_id: randomUUID(),
    type: 'job.created',
    job_id: job.job_id,
    tenant_id: job.tenant_id,
    pipeline: job.pipeline,
    stage: 'a',
    status: 'QUEUED',
    hop: 0,
    time: new Date().toISOString(),
    ...overrides,
  };
}

export function received(body: string, overrides: Partial<ReceivedMessage> = {}): ReceivedMessage {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    receiveCount: 1,
    attributes: {},
    sentAt: Date.now(),
    ...overrides,
  };
}

/** A unique, queue-name-safe prefix per test so tests can share one emulator. */
export const uniquePrefix = (): string => `t${randomUUID().replaceAll('-', '').slice(0, 10)}-`;
