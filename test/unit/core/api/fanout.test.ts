import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../../lib/adapters/memory/memory-job-store.js';
import { MemoryLiveChannel } from '../../../../lib/adapters/memory/memory-live-channel.js';
import { LiveFanout } from '../../../../lib/core/api/index.js';
import { jobTopic, tenantTopic } from '../../../../lib/core/ports/index.js';
import { jobEvent, jobRecord } from '../../../support/factories.js';

describe('LiveFanout', () => {
  it('reaches job and tenant subscribers of the event’s tenant only, and drops gone connections', async () => {
    // Prepare
    const store = new MemoryJobStore();
    const live = new MemoryLiveChannel();
    const got: Record<string, string[]> = { a1: [], a2: [], b1: [] };
    for (const id of ['a1', 'a2', 'b1']) live.register(id, (data) => void got[id]?.push(data));
    const job = jobRecord({ tenant_id: 'A' });
    await store.subscribe({ connection_id: 'a1', topic: jobTopic('A', job.job_id), tenant_id: 'A' });
    await store.subscribe({ connection_id: 'a2', topic: tenantTopic('A'), tenant_id: 'A' });
    // A subscription that slipped through with the wrong tenant must still not receive A's events.
    await store.subscribe({ connection_id: 'b1', topic: jobTopic('A', job.job_id), tenant_id: 'B' });
    await store.subscribe({ connection_id: 'gone', topic: tenantTopic('A'), tenant_id: 'A' });
    await store.putConnection({
      connection_id: 'gone',
      tenant_id: 'A',
      connected_at: '2026-01-01T00:00:00Z',
    });
    // Act
    const sent = await new LiveFanout(store, live).deliver(
      jobEvent(job, { type: 'stage.progress', data: { percent: 50 } }),
    );
    // Assess
    expect(sent).toBe(2);
    expect(JSON.parse(got.a1?.[0] ?? '{}')).toMatchObject({
      type: 'event',
      event: { type: 'stage.progress' },
    });
    expect(got.a2).toHaveLength(1);
    expect(got.b1).toEqual([]);
    expect(await store.getConnection('gone')).toBeUndefined();
    expect(await store.subscribers(tenantTopic('A'))).toHaveLength(1);
  });
});
