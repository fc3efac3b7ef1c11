import type { BlobStore } from './blob-store.js';
import type { EventPublisher } from './event-publisher.js';
import type { JobQueue } from './job-queue.js';
import type { JobStore } from './job-store.js';
import type { LiveChannel } from './live-channel.js';
import type { RecordStore } from './record-store.js';

// The ports the core talks to. Adapters in lib/adapters/{memory,aws} implement them; the contract
// suite in test/contract proves an adapter set interchangeable.

/** The set of adapters a runtime runs on. */
export interface Backend {
  readonly queue: JobQueue;
  readonly store: JobStore;
  readonly events: EventPublisher;
  readonly blobs: BlobStore;
  readonly records: RecordStore;
  readonly live?: LiveChannel;
}
