export { FileBlobStore } from './file-blob-store.js';
export { LocalUrlSigner, type SignedMethod, type VerifiedUrl } from './local-url-signer.js';
export { createMemoryBackend, type MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryBlobStore } from './memory-blob-store.js';
export { type EventHandler, MemoryEventBus, type ServiceEventHandler } from './memory-event-bus.js';
export { MemoryJobQueue } from './memory-job-queue.js';
export { MemoryJobStore } from './memory-job-store.js';
export { type Deliver, MemoryLiveChannel } from './memory-live-channel.js';
export { MemoryRecordStore } from './memory-record-store.js';
