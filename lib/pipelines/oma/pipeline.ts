import { definePipeline } from '../../core/sdk/index.js';
import { OMA_PIPELINE } from './keys.js';
import { analyzeStage } from './stage-analyze.js';
import { preprocessStage } from './stage-preprocess.js';
import { publishStage } from './stage-publish.js';

/**
 * preprocess (Lambda) → analyze (Fargate) → publish (Lambda). PREPROCESSING jobs run `preprocess`
 * only (exit_stage); FDD and SSI jobs start at `analyze` when they reuse the structure's dataset,
 * at `preprocess` when a CSV was uploaded for the analysis.
 */
export const omaPipeline = definePipeline({
  name: OMA_PIPELINE,
  description: 'Operational modal analysis: preprocess → analyze → publish',
  stages: [preprocessStage, analyzeStage, publishStage],
});
