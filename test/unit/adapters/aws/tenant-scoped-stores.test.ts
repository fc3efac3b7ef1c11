import { beforeEach, describe, expect, it } from 'vitest';
import { TenantScope } from '../../../../lib/adapters/aws/tenant-scope.js';
import { type TenantPorts, tenantScopedBackend } from '../../../../lib/adapters/aws/tenant-scoped-stores.js';
import {
  createMemoryBackend,
  MemoryBlobStore,
  MemoryJobStore,
  MemoryRecordStore,
} from '../../../../lib/adapters/memory/index.js';
import { HttpApi, jobRoutes } from '../../../../lib/core/api/index.js';
import { JobService } from '../../../../lib/core/control/index.js';
import { Topology } from '../../../../lib/core/engine/index.js';
import { type Backend, ConfigError, tenantBlobs } from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import { createHttpHandler } from '../../../../lib/shells/lambda/http-handler.js';
import { jobRecord } from '../../../support/factories.js';
import { httpEvent } from '../../../support/lambda-events.js';

// The routing of the API's tenant-scoped backend, with each tenant's "session" standing for its
// own memory stores: what a session reaches is exactly what that tenant's ports hold.

const one = defineStage({ name: 'one', inputs: {}, outputs: [], process: () => ({}) });
const pipeline = definePipeline({ name: 'p', stages: [one] });

let base: Backend;
let scope: TenantScope;
let ports: Map<string, TenantPorts>;
let resolved: string[];
let backend: Backend;

beforeEach(async () => {
  base = createMemoryBackend();
  scope = new TenantScope();
  ports = new Map();
  resolved = [];
  backend = tenantScopedBackend(base, {
    scope,
    portsOf: async (tenantId) => {
      resolved.push(tenantId);
      let own = ports.get(tenantId);
      if (own === undefined) {
        own = { store: new MemoryJobStore(), records: new MemoryRecordStore(), blobs: new MemoryBlobStore() };
        ports.set(tenantId, own);
      }
      return own;
    },
  });
  for (const spec of new Topology([pipeline]).specs()) await base.queue.ensureQueue(spec);
});

describe('tenant-scoped backend', () => {
  it("serves a tenant's data from the request's tenant, whatever tenant an argument names", async () => {
    // Prepare
    await scope.run('globex', () =>
      backend.store.createJob(jobRecord({ tenant_id: 'globex', job_id: 'j1' })),
    );

    // Act: a request of acme names globex's job
    const stolen = await scope.run('acme', () => backend.store.getJob('globex', 'j1'));
    const own = await scope.run('globex', () => backend.store.getJob('globex', 'j1'));

    // Assess
    expect(stolen).toBeUndefined();
    expect(own?.job_id).toBe('j1');
    expect(resolved).toEqual(['globex', 'acme', 'globex']);
    expect(await base.store.getJob('globex', 'j1')).toBeUndefined();
  });

  it('routes records and blobs through the tenant too', async () => {
    // Act
    await scope.run('acme', async () => {
      await tenantBlobs(backend.blobs, 'acme').put('documents/a.txt', 'hello');
      await backend.records.putRecord('acme', 'notes', 'n1', { text: 'x' });
    });

    // Assess
    expect(await ports.get('acme')?.blobs.head('tenants/acme/documents/a.txt')).toMatchObject({ size: 5 });
    expect(await ports.get('acme')?.records.getRecord('acme', 'notes', 'n1')).toMatchObject({ version: 1 });
    expect(await base.blobs.list('')).toEqual([]);
  });

  it("refuses a tenant's data outside a tenant's request, saying how to fix it", async () => {
    await expect(backend.store.getJob('acme', 'j1')).rejects.toBeInstanceOf(ConfigError);
    await expect(backend.records.getRecord('acme', 'c', 'i')).rejects.toThrow(/TenantScope\.run/);
    await expect(backend.blobs.head('tenants/acme/x')).rejects.toThrow(/outside a tenant's request/);
    expect(resolved).toEqual([]);
  });

  it('keeps what no tenant owns on the backend itself: the registry walk, all holds, connections, watches', async () => {
    // Act: outside any request, as the function itself
    const tenants = await backend.store.listTenants();
    const holds = await backend.store.listHolds({ active: true });
    await backend.store.putConnection({ connection_id: 'c1', tenant_id: 'acme', connected_at: 'now' });
    const watched = await backend.store.watched('acme');
    const letters = await backend.store.listDeadLetters({ tenant_id: null });

    // Assess
    expect([tenants.items, holds, watched, letters.items]).toEqual([[], [], false, []]);
    expect(await base.store.getConnection('c1')).toMatchObject({ tenant_id: 'acme' });
    expect(resolved).toEqual([]);
  });

  it('serves each HTTP request in its caller’s scope, and an anonymous one in none', async () => {
    // Prepare
    const jobs = new JobService({ backend, topology: new Topology([pipeline]) });
    const handler = createHttpHandler(new HttpApi(jobRoutes(jobs)), { scope });
    const claims = (tenant: string) => ({ 'custom:tenant_id': tenant, sub: 'u' });

    // Act
    const created = await handler(
      httpEvent('POST', '/jobs', { body: { pipeline: 'p' }, claims: claims('acme') }),
    );
    const id: string = JSON.parse(created.body ?? '{}').job_id;
    const mine = await handler(httpEvent('GET', `/jobs/${id}`, { claims: claims('acme') }));
    const theirs = await handler(httpEvent('GET', `/jobs/${id}`, { claims: claims('globex') }));
    const anonymous = await handler(httpEvent('GET', `/jobs/${id}`));

    // Assess
    expect([created.statusCode, mine.statusCode, theirs.statusCode, anonymous.statusCode]).toEqual([
      201, 200, 404, 401,
    ]);
    expect(await ports.get('acme')?.store.getJob('acme', id)).toMatchObject({ status: 'QUEUED' });
    expect(await base.queue.depth('p-one')).toMatchObject({ visible: 1 });
  });
});
