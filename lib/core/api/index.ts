// The api layer's entry point: it only re-exports.
export * from './fanout.js';
export * from './http-api.js';
export * from './job-routes.js';
export * from './listeners.js';
export * from './live-api.js';
export * from './ops-routes.js';
export * from './service.js';
