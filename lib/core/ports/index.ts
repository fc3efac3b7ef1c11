// The ports layer's entry point: it only re-exports.
export * from './backend.js';
export * from './blob-keys.js';
export * from './blob-store.js';
export * from './clock.js';
export * from './contract.js';
export * from './errors.js';
export * from './event-publisher.js';
export * from './ids.js';
export * from './job.js';
export * from './job-queue.js';
export * from './job-store.js';
export * from './live-channel.js';
export * from './logger.js';
export * from './record-address.js';
export * from './record-store.js';
export * from './tenant-blobs.js';
