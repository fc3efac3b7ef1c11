import type { Backend, Clock, Logger } from '../../core/ports/index.js';
import { FileBlobStore } from './file-blob-store.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { MemoryJobQueue } from './memory-job-queue.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemoryLiveChannel } from './memory-live-channel.js';
import { MemoryRecordStore } from './memory-record-store.js';

export interface MemoryBackendOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Keep blobs in this folder; in memory when absent. */
  readonly blobDir?: string;
}

export interface MemoryBackend extends Backend {
  readonly queue: MemoryJobQueue;
  readonly store: MemoryJobStore;
  readonly events: MemoryEventBus;
  readonly blobs: MemoryBlobStore | FileBlobStore;
  readonly records: MemoryRecordStore;
  readonly live: MemoryLiveChannel;
}

/** The embedded backend: every port in this process. */
export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  return {
    queue: new MemoryJobQueue(options.clock === undefined ? {} : { clock: options.clock }),
    store: new MemoryJobStore(),
    events: new MemoryEventBus(options.logger === undefined ? {} : { logger: options.logger }),
    blobs: options.blobDir === undefined ? new MemoryBlobStore() : new FileBlobStore(options.blobDir),
    records: new MemoryRecordStore(),
    live: new MemoryLiveChannel(),
  };
}
