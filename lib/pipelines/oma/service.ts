import { defineService } from '../../core/api/index.js';
import { omaStatusListener } from './listener.js';
import { omaPipeline } from './pipeline.js';
import { analysisRoutes } from './routes.js';

/** Operational Modal Analysis: the analyses API, its pipeline and the status projection. */
export const omaService = defineService({
  name: 'oma',
  description: 'Operational Modal Analysis of structures from multichannel acceleration records',
  pipelines: [omaPipeline],
  listeners: [omaStatusListener],
  routes: (context) => analysisRoutes(context),
});
