import { beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryBackend,
  type MemoryBackend,
  MemoryBlobStore,
  MemoryRecordStore,
} from '../../../../lib/adapters/memory/index.js';
import { StageRunner, type TenantStores, Topology } from '../../../../lib/core/engine/index.js';
import type { JobRecord } from '../../../../lib/core/ports/index.js';
import { ManualClock, serializeEnvelope } from '../../../../lib/core/ports/index.js';
import { blobRef, definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { envelope, jobRecord, received } from '../../../support/factories.js';

// The shell may supply each tenant's stores (in AWS: on the tenant's vended session). A run's
// ctx.storage, ctx.records and its blobRef look-ups then use the job's tenant's stores, and only
// those; the runner's own bookkeeping stays on the backend.

const write = defineStage({
  name: 'write',
  inputs: { source: blobRef() },
  outputs: ['length'],
  process: async ({ source }, ctx) => {
    const text = Buffer.from(await ctx.storage.get(source)).toString('utf8');
    await ctx.storage.put('out/copy.txt', text);
    await ctx.records.putRecord('notes', 'n1', { length: text.length });
    return { length: text.length };
  },
});
const pipeline = definePipeline({ name: 'p', stages: [write] });

let backend: MemoryBackend;
let clock: ManualClock;
let perTenant: Map<string, { blobs: MemoryBlobStore; records: MemoryRecordStore }>;
let asked: string[];
const tenantStores: TenantStores = (tenantId) => {
  asked.push(tenantId);
  const stores = perTenant.get(tenantId) ?? {
    blobs: new MemoryBlobStore(),
    records: new MemoryRecordStore(),
  };
  perTenant.set(tenantId, stores);
  return stores;
};

async function submit(tenant: string): Promise<{ job: JobRecord; body: string }> {
  const job = jobRecord({
    tenant_id: tenant,
    pipeline: 'p',
    entry_stage: 'write',
    stage: 'write',
    exit_stage: 'write',
    params: { source: 'in.txt' },
  });
  await backend.store.createJob(job);
  return { job, body: serializeEnvelope(envelope({ ...job })) };
}

function runnerWith(stores?: TenantStores): StageRunner {
  return new StageRunner(pipeline, write, {
    backend,
    topology: new Topology([pipeline]),
    workerId: 'w1',
    clock,
    ...(stores === undefined ? {} : { tenantStores: stores }),
  });
}

beforeEach(async () => {
  backend = createMemoryBackend();
  for (const spec of new Topology([pipeline]).specs()) await backend.queue.ensureQueue(spec);
  clock = new ManualClock('2026-06-01T00:00:00.000Z');
  perTenant = new Map();
  asked = [];
});

describe('StageRunner with tenant stores supplied by the shell', () => {
  it("runs a job of tenant A on A's stores only: its input, its output and its record", async () => {
    // Prepare: the input is in A's store, under A's prefix; the backend's bucket has nothing.
    await tenantStores('acme').blobs.put('tenants/acme/in.txt', 'hello');
    asked = [];
    const { job, body } = await submit('acme');

    // Act
    const result = await runnerWith(tenantStores).handle(received(body), { queue: 'p-write' });

    // Assess
    expect(result.outcome).toBe('done');
    expect(asked).toEqual(['acme']);
    const acme = perTenant.get('acme');
    expect(Buffer.from((await acme?.blobs.get('tenants/acme/out/copy.txt')) ?? []).toString()).toBe('hello');
    expect((await acme?.records.getRecord('acme', 'notes', 'n1'))?.data).toEqual({ length: 5 });
    expect(await backend.blobs.list('')).toEqual([]);
    expect(await backend.records.getRecord('acme', 'notes', 'n1')).toBeUndefined();
    // ... while the job's state is the backend's
    expect((await backend.store.getJob('acme', job.job_id))?.status).toBe('DONE');
  });

  it("gives tenant B's job B's stores: A's object is not found, and A's stores are untouched", async () => {
    // Prepare: the object the job names exists for A only.
    const acme = tenantStores('acme');
    await acme.blobs.put('tenants/acme/in.txt', 'secret');
    asked = [];
    const { job, body } = await submit('globex');

    // Act
    const result = await runnerWith(tenantStores).handle(received(body), { queue: 'p-write' });

    // Assess
    expect(result.outcome).toBe('failed');
    expect(asked).toEqual(['globex']);
    expect((await backend.store.getJob('globex', job.job_id))?.error?.code).toBe('NOT_FOUND');
    expect((await acme.blobs.list('')).map((o) => o.key)).toEqual(['tenants/acme/in.txt']);
  });

  it("keeps the backend's stores when the shell supplies none", async () => {
    // Prepare
    await backend.blobs.put('tenants/acme/in.txt', 'hello');
    await submit('acme').then(({ body }) => runnerWith().handle(received(body), { queue: 'p-write' }));

    // Assess
    expect(asked).toEqual([]);
    expect(Buffer.from(await backend.blobs.get('tenants/acme/out/copy.txt')).toString()).toBe('hello');
  });
});
