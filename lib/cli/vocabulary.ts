/**
 * The words the command line's flags accept, kept here without their schemas so that defining
 * the commands loads neither zod nor the services (`stagecoach --version` starts in a blink).
 * test/unit/cli/vocabulary.test.ts checks them against their sources.
 */

/** lib/client/jobs.ts JOB_STATUSES */
export const JOB_STATUSES = [
  'QUEUED',
  'RUNNING',
  'RETRY_WAITING',
  'PAUSED',
  'HELD',
  'DONE',
  'FAILED',
  'ABORTED',
] as const;

/** lib/pipelines/oma/schemas.ts ANALYSIS_TYPES */
export const ANALYSIS_TYPES = ['PREPROCESSING', 'FDD', 'SSI', 'MULTI_SETUP'] as const;

/** lib/cli/oma-simulate.ts PRESETS */
export const SIMULATION_PRESETS = ['frame', 'tower', 'bridge'] as const;
