import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createClients, DynamoJobStore } from '../../../lib/adapters/aws/index.js';
import { jobsTableDefinition } from '../../../lib/adapters/aws/tables.js';
import type { JobChange, JobRecord } from '../../../lib/core/ports/index.js';
import { Meter } from '../../bench/billing/meter.js';
import { Usage } from '../../bench/billing/usage.js';
import { jobRecord, uniquePrefix } from '../../support/factories.js';

const endpoint = inject('motoEndpoint');

/**
 * The job store's write pattern as AWS bills it, read from the requests the SDK sends: a stage that
 * ends unclaimed (QUEUED or RETRY_WAITING before, QUEUED at the next stage after) is one UpdateItem,
 * and the by-status index moves only when the status does, so listings by status and the
 * reconciler's oldest-first reads stay right.
 */
describe.skipIf(endpoint === undefined)('the job store write pattern (moto_server)', () => {
  const setup = async () => {
    const url = endpoint ?? '';
    const clients = createClients({ region: 'us-east-1', endpoint: url });
    const meter = new Meter({ region: 'us-east-1', endpoint: url });
    meter.attach(clients.dynamoDb);
    const table = `${uniquePrefix()}pattern`;
    meter.enabled = false;
    await clients.dynamoDb.send(new CreateTableCommand(jobsTableDefinition(table)));
    meter.enabled = true;
    const store = new DynamoJobStore(clients.dynamo, { jobsTable: table });
    return { meter, store };
  };
  /** The unclaimed completion of `job`'s current stage, as the runner writes it. */
  const hop = (job: JobRecord, at: string): JobChange => ({
    expect: { status: ['QUEUED', 'RETRY_WAITING'], hop: job.hop, stage: job.stage },
    set: { status: 'QUEUED', stage: 'next', hop: job.hop + 1, updated_at: at, retry_count: 0 },
    unset: ['retry_at'],
  });
  const tenant = 't1';

  it('writes a hop from QUEUED once, without touching the by-status index', async () => {
    const { meter, store } = await setup();
    const job = jobRecord({ tenant_id: tenant, status: 'QUEUED', updated_at: '2026-01-01T00:00:00.000Z' });
    await store.createJob(job);
    const usage = new Usage();
    const result = await meter.within(usage, () =>
      store.transition(tenant, job.job_id, hop(job, '2026-01-01T00:00:05.000Z')),
    );
    expect(result.ok).toBe(true);
    expect(usage.op('DynamoDB.UpdateItem').calls).toBe(1);
    expect(usage.op('DynamoDB.UpdateItem').wru).toBe(1);
    expect(usage.indexWrites.size).toBe(0);
    // Still listed as QUEUED since it entered that status, which is what the reconciler reads.
    const listed = await store.listJobs({
      tenant_id: tenant,
      status: 'QUEUED',
      enteredBefore: '2026-01-01T00:00:01.000Z',
    });
    expect(listed.items.map((j) => [j.job_id, j.stage, j.hop])).toEqual([[job.job_id, 'next', job.hop + 1]]);
  });

  it('moves a job that was RETRY_WAITING to QUEUED in the index (a refused write, then the right one)', async () => {
    const { meter, store } = await setup();
    const job = jobRecord({
      tenant_id: tenant,
      status: 'RETRY_WAITING',
      retry_at: '2026-01-01T00:00:02.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    await store.createJob(job);
    const usage = new Usage();
    const result = await meter.within(usage, () =>
      store.transition(tenant, job.job_id, hop(job, '2026-01-01T00:00:05.000Z')),
    );
    expect(result.ok).toBe(true);
    expect(usage.op('DynamoDB.UpdateItem').calls).toBe(2);
    expect(Object.fromEntries(usage.indexWrites)).toEqual({
      'by-tenant-status delete': 1,
      'by-tenant-status put': 1,
    });
    expect((await store.listJobs({ tenant_id: tenant, status: 'RETRY_WAITING' })).items).toEqual([]);
    const queued = await store.listJobs({ tenant_id: tenant, status: 'QUEUED' });
    expect(queued.items.map((j) => j.job_id)).toEqual([job.job_id]);
    // It entered QUEUED at the hop: not among the jobs that entered it before.
    const before = await store.listJobs({
      tenant_id: tenant,
      status: 'QUEUED',
      enteredBefore: '2026-01-01T00:00:04.000Z',
    });
    expect(before.items).toEqual([]);
  });

  it('refuses a hop whose expectation fails with one write, and reports the job as it is', async () => {
    const { meter, store } = await setup();
    const job = jobRecord({ tenant_id: tenant, status: 'PAUSED' });
    await store.createJob(job);
    const usage = new Usage();
    const result = await meter.within(usage, () =>
      store.transition(tenant, job.job_id, hop(job, '2026-01-01T00:00:05.000Z')),
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.current?.status).toBe('PAUSED');
    expect(usage.op('DynamoDB.UpdateItem').calls).toBe(1);
    expect(usage.indexWrites.size).toBe(0);
  });

  it('refuses a hop at a stale hop number in one write, whatever the status', async () => {
    const { meter, store } = await setup();
    const job = jobRecord({ tenant_id: tenant, status: 'RETRY_WAITING' });
    await store.createJob(job);
    const usage = new Usage();
    const result = await meter.within(usage, () =>
      store.transition(tenant, job.job_id, hop({ ...job, hop: job.hop + 5 }, '2026-01-01T00:00:05.000Z')),
    );
    expect(result.ok).toBe(false);
    expect(usage.op('DynamoDB.UpdateItem').calls).toBe(1);
  });
});
