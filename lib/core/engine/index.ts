// The engine layer's entry point: it only re-exports.
export * from './dead-letters.js';
export * from './history.js';
export * from './holds.js';
export * from './lane-concurrency.js';
export * from './lease.js';
export * from './progress.js';
export * from './publishing.js';
export * from './runner.js';
export * from './runner-kit.js';
export * from './stage-outcomes.js';
export * from './topology.js';
export * from './worker-pool.js';
