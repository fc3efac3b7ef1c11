import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBackend } from '../../lib/adapters/memory/index.js';
import type { JobEvent, ServiceEvent } from '../../lib/core/ports/index.js';
import type { Harness } from './harness.js';

/** The embedded backend; blobs in a temporary folder (the local-folder adapter). */
export async function memoryHarness(): Promise<Harness> {
  const blobDir = await mkdtemp(join(tmpdir(), 'stagecoach-blobs-'));
  const backend = createMemoryBackend({ blobDir });
  return {
    name: 'memory',
    backend,
    minVisibilityMs: 1_000,
    stageVisibilityMs: 1_000,
    atomicConditionalWrites: true,
    fairQueues: true,
    presignable: false,
    async collectEvents() {
      const seen: JobEvent[] = [];
      const service: ServiceEvent[] = [];
      const unsubscribe = backend.events.subscribe((event) => {
        seen.push(event);
      });
      const unsubscribeService = backend.events.subscribeService((event) => {
        service.push(event);
      });
      return {
        events: () => seen,
        serviceEvents: () => service,
        stop: async () => {
          unsubscribe();
          unsubscribeService();
        },
      };
    },
    async close() {
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
