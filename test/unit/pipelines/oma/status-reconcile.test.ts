import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../lib/adapters/memory/index.js';
import type { Caller } from '../../../../lib/core/control/index.js';
import { tenantBlobs } from '../../../../lib/core/ports/index.js';
import { AnalysisService } from '../../../../lib/pipelines/oma/analysis-service.js';
import { omaPipeline } from '../../../../lib/pipelines/oma/pipeline.js';
import { Runtime } from '../../../../lib/shells/embedded.js';
import { noiseCsv } from './fixtures.js';

/**
 * The analysis status is a projection of the job's events. With every event lost (no status
 * listener runs at all), reading the analysis projects the job's state, so a run never stays
 * RUNNING after its job has ended, and the next run is accepted.
 */
const caller: Caller = { tenantId: 'tenant-a', userId: 'alice' };
const backend = createMemoryBackend();
let runtime: Runtime;
let service: AnalysisService;

beforeAll(async () => {
  runtime = await Runtime.create({ pipelines: [omaPipeline], backend, pool: { waitTimeMs: 50 } });
  runtime.start();
  service = new AnalysisService({ jobs: runtime.jobs, backend: runtime.backend });
});

afterAll(async () => {
  await runtime.stop();
});

describe('OMA analysis status without its events', () => {
  it('shows the job’s end in a listing too, when the listener never heard of it', async () => {
    // Prepare
    const created = await service.create(caller, 'lost-list', { type: 'PREPROCESSING', parameters: {} });
    await tenantBlobs(backend.blobs, caller.tenantId).put(created.csv_key, noiseCsv(400));
    const queued = await service.run(caller, 'lost-list', created.analysis_id);
    const job = await runtime.jobs.waitFor(queued.run_id ?? '', caller);
    // Act
    const listed = await service.list(caller, 'lost-list');
    // Assess
    expect(job.status).toBe('DONE');
    expect(listed.items.map((a) => [a.analysis_id, a.status])).toEqual([[created.analysis_id, 'DONE']]);
  });

  it('takes the job’s end from the job itself when the listener never heard of it', async () => {
    // Prepare
    const created = await service.create(caller, 'lost-events', { type: 'PREPROCESSING', parameters: {} });
    await tenantBlobs(backend.blobs, caller.tenantId).put(created.csv_key, noiseCsv(400));
    const queued = await service.run(caller, 'lost-events', created.analysis_id);
    const job = await runtime.jobs.waitFor(queued.run_id ?? '', caller);
    // Act
    const read = await service.get(caller, 'lost-events', created.analysis_id);
    const again = await service.run(caller, 'lost-events', created.analysis_id);
    // Assess
    expect(job.status).toBe('DONE');
    expect(read.status).toBe('DONE');
    expect(read.finished_at).toBeDefined();
    expect(read.dataset_key).toBeDefined();
    expect(again.status).toBe('QUEUED');
    expect(again.run_number).toBe(2);
    await runtime.jobs.waitFor(again.run_id ?? '', caller);
  });
});
