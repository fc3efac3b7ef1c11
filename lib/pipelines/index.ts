import type { Pipeline } from '../core/pipeline.js';
import { examplePipeline } from './example/index.js';

/**
 * The pipelines this deployment runs. The CDK app builds one queue, DLQ and consumer per stage of
 * each; every function and worker resolves its stage here.
 */
export const pipelines: readonly Pipeline[] = [examplePipeline];
