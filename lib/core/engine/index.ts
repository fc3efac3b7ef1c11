// The engine layer's entry point: it only re-exports.
export * from './dead-letters.js';
export * from './events.js';
export * from './holds.js';
export * from './lease.js';
export * from './progress.js';
export * from './runner.js';
export * from './runner-kit.js';
export * from './stage-outcomes.js';
export * from './topology.js';
export * from './worker-pool.js';
