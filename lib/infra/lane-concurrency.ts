// The split lives in lib/core/engine so the dev runtime plays the same event sources without
// loading the CDK; the stack's constructs and docs/infrastructure.md keep naming it here.
export * from '../core/engine/lane-concurrency.js';
