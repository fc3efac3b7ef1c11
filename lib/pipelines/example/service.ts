import { defineService } from '../../core/api/index.js';
import { examplePipeline } from './index.js';

/** The example service: one pipeline, no listeners or routes of its own. */
export const exampleService = defineService({
  name: 'wordcount',
  description: 'A three-stage example pipeline (ingest → count → report)',
  pipelines: [examplePipeline],
});
