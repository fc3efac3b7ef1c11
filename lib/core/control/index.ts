// The control layer's entry point: it only re-exports.
export * from './holds.js';
export * from './job-requests.js';
export * from './jobs.js';
export * from './limits.js';
export * from './operations.js';
export * from './reconciler.js';
