// What a stage author imports: stages, pipelines, listeners, validators, retry policies, and the
// errors that steer retries. It loads no runner, no API and nothing of AWS.

export type { BlobInfo, BlobStore, PresignOptions } from '../ports/blob-store.js';
export type { Params } from '../ports/contract.js';
export * from '../ports/errors.js';
export type { JobEvent, JobEventType, JobStatus } from '../ports/job.js';
export type { Logger } from '../ports/logger.js';
export type { RecordCondition, RecordStore, StoredRecord } from '../ports/record-store.js';
export * from './describe.js';
export * from './listener.js';
export * from './pipeline.js';
export * from './retry.js';
export * from './stage.js';
export * from './validators.js';
