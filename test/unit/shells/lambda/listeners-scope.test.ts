import { beforeEach, describe, expect, it } from 'vitest';
import { TenantScope } from '../../../../lib/adapters/aws/tenant-scope.js';
import { type TenantPorts, tenantScopedBackend } from '../../../../lib/adapters/aws/tenant-scoped-stores.js';
import {
  createMemoryBackend,
  MemoryBlobStore,
  MemoryJobStore,
  MemoryRecordStore,
} from '../../../../lib/adapters/memory/index.js';
import { type JobEvent, silentLogger, tenantBlobs } from '../../../../lib/core/ports/index.js';
import { defineListener } from '../../../../lib/core/sdk/index.js';
import { createListenersHandler } from '../../../../lib/shells/lambda/bus-handlers.js';

// The listeners function with token vending on: each event is handled in its tenant's scope, so
// what a listener reaches through ctx.backend is that tenant's (each tenant's "session" stands for
// its own memory stores here), whatever tenant the listener names.

let ports: Map<string, TenantPorts>;

const portsOf = async (tenantId: string): Promise<TenantPorts> => {
  let own = ports.get(tenantId);
  if (own === undefined) {
    own = { store: new MemoryJobStore(), records: new MemoryRecordStore(), blobs: new MemoryBlobStore() };
    ports.set(tenantId, own);
  }
  return own;
};

function jobEvent(tenant: string): JobEvent {
  return {
    event_id: `e-${tenant}`,
    type: 'job.failed',
    job_id: 'j1',
    tenant_id: tenant,
    pipeline: 'p',
    stage: 'a',
    status: 'FAILED',
    hop: 0,
    time: '2026-06-01T00:00:00.000Z',
  };
}

beforeEach(() => {
  ports = new Map();
});

describe('listeners handler in the event tenant’s scope', () => {
  it("writes a listener's objects with the event's tenant's ports only, even where it names another tenant", async () => {
    // Prepare: a listener that writes for the event's tenant, and (a bug) for another one
    const scope = new TenantScope();
    const backend = tenantScopedBackend(createMemoryBackend(), { scope, portsOf });
    const listener = defineListener({
      name: 'writer',
      pipelines: ['p'],
      handle: async (event, ctx) => {
        await tenantBlobs(ctx.backend.blobs, event.tenant_id).put('notes/own.txt', 'own');
        await tenantBlobs(ctx.backend.blobs, 'globex').put('notes/stray.txt', 'stray');
      },
    });
    const handler = createListenersHandler([listener], { backend, logger: silentLogger }, { scope });

    // Act
    const result = await handler({ 'detail-type': 'job.failed', detail: jobEvent('acme') });

    // Assess: both writes went out on acme's session (IAM would refuse the second one)
    expect(result).toEqual({ ran: 1 });
    expect([...ports.keys()]).toEqual(['acme']);
    const keys = (await ports.get('acme')?.blobs.list(''))?.map((o) => o.key).sort();
    expect(keys).toEqual(['tenants/acme/notes/own.txt', 'tenants/globex/notes/stray.txt']);
  });

  it('without a scope (vending off), uses the backend it is given as it is', async () => {
    // Prepare
    const base = createMemoryBackend();
    const listener = defineListener({
      name: 'writer',
      pipelines: ['p'],
      handle: async (event, ctx) => {
        await tenantBlobs(ctx.backend.blobs, event.tenant_id).put('notes/own.txt', 'own');
      },
    });

    // Act
    await createListenersHandler([listener], { backend: base, logger: silentLogger })({
      detail: jobEvent('acme'),
    });

    // Assess
    expect(await base.blobs.head('tenants/acme/notes/own.txt')).toMatchObject({ size: 3 });
  });
});
