import { InvalidParamError, ValidationError } from '../../core/ports/index.js';
import { defineStage, type ValidatorContext } from '../../core/sdk/index.js';
import {
  type AnalyzeOptions,
  analyzeRecord,
  deserializeDataset,
  MAX_TOEPLITZ_ROWS,
  resultToJson,
} from '../../oma/index.js';
import { toStageError } from './engine-errors.js';
import { datasetKey, resultKey } from './keys.js';
import { analyzeSetupDatasets, setupsInput } from './multi-setup.js';
import {
  type AnalysisParameters,
  FddParametersSchema,
  MultiSetupParametersSchema,
  SsiParametersSchema,
} from './schemas.js';
import { analysisInputs, existingKey, parametersInput } from './stage-inputs.js';

/** A structure's dataset, which every type but MULTI_SETUP (its setups' datasets) analyses. */
const datasetInput = existingKey((params, key) =>
  key === undefined
    ? `Structure '${String(params.structure_id)}' has no preprocessed dataset: upload a CSV or run a PREPROCESSING analysis first.`
    : `The dataset of structure '${String(params.structure_id)}' (${key}) is no longer in storage: upload a CSV or run a PREPROCESSING analysis first.`,
);

/**
 * The engine's options for an analysis. A dataset this run preprocessed is already decimated as
 * the analysis asked; a structure's reused dataset is decimated now, by the analysis's own factor.
 */
export function analyzeOptions(
  type: string,
  p: AnalysisParameters,
  datasetFromThisRun: boolean,
): AnalyzeOptions {
  const common = {
    decimate: datasetFromThisRun ? 1 : p.decimate,
    detrend: p.detrend,
    ...(p.fmax === undefined ? {} : { fmax: p.fmax }),
  };
  // The parameters were parsed for their type; parsing again narrows them (and costs nothing).
  if (type === 'FDD') {
    const f = FddParametersSchema.parse(p);
    return {
      ...common,
      method: f.method,
      overlap: f.overlap,
      uncertainty: f.uncertainty,
      ...(f.fmin === undefined ? {} : { fmin: f.fmin }),
      ...(f.nperseg === undefined ? {} : { nperseg: f.nperseg }),
    };
  }
  if (type === 'SSI') {
    const s = SsiParametersSchema.parse(p);
    return {
      ...common,
      method: 'ssi',
      orderStep: s.order_step,
      uncertainty: s.uncertainty,
      ...(s.fmin === undefined ? {} : { fmin: s.fmin }),
      ...(s.br === undefined ? {} : { br: s.br }),
      ...(s.order_min === undefined ? {} : { orderMin: s.order_min }),
      ...(s.order_max === undefined ? {} : { orderMax: s.order_max }),
    };
  }
  throw new ValidationError(`A ${type} analysis has no identification step.`, { code: 'BAD_TYPE' });
}

/**
 * An explicit `br` may not make the block Toeplitz matrix larger than the engine's own cap: each
 * product of the truncated SVD is one uninterruptible step whose time grows with its size, and
 * the service promises that an abort lands within 2 s.
 */
export function checkToeplitzSize(options: AnalyzeOptions, channels: number): void {
  if (options.br === undefined || options.br * channels <= MAX_TOEPLITZ_ROWS) return;
  throw new InvalidParamError(
    'br',
    `br ${options.br} × ${channels} channels gives a ${options.br * channels}-row block Toeplitz matrix; the most is ${MAX_TOEPLITZ_ROWS} (br ≤ ${Math.floor(MAX_TOEPLITZ_ROWS / channels)} for this dataset), or leave br out for the default.`,
  );
}

/**
 * FDD (EFDD by default) or SSI-cov on the dataset, on Fargate: no 15-minute limit, gigabytes of
 * memory. The engine checks ctx.signal inside its loops and the stage heartbeats every 500 ms, so
 * an abort lands well within 2 s. The result is written only once the engine has finished, so an
 * aborted run leaves nothing behind.
 */
export const analyzeStage = defineStage({
  name: 'analyze',
  description:
    'Dataset → modes (FDD/EFDD or SSI-cov) with their uncertainty, stabilization diagram, singular values, MAC; MULTI_SETUP: several datasets merged',
  inputs: {
    ...analysisInputs,
    parameters: parametersInput,
    dataset_key: (value: unknown, ctx: ValidatorContext) =>
      ctx.params.type === 'MULTI_SETUP' ? undefined : datasetInput(value, ctx),
    setups: setupsInput,
  },
  outputs: ['result_key', 'mode_count'],
  timeoutMs: 60 * 60_000,
  heartbeatMs: 500,
  // One analysis per task: the engine is single-threaded, and 4 GB hold a one-hour 24-channel record.
  compute: { kind: 'fargate', cpu: 1024, memoryMb: 4096, concurrency: 1, batchSize: 1, maxTasks: 4 },
  async process({ structure_id, analysis_id, type, parameters, dataset_key, setups }, ctx) {
    try {
      const tenant = ctx.job.tenant_id;
      const runId = ctx.job.job_id;
      const control = {
        signal: ctx.signal,
        onProgress: (fraction: number, message: string) => ctx.progress(100 * fraction, message),
      };
      if (type === 'MULTI_SETUP' || dataset_key === undefined) {
        ctx.progress(0, 'loading the setups');
        const p = MultiSetupParametersSchema.parse(parameters);
        const result = await analyzeSetupDatasets(ctx.storage, setups ?? [], p, control);
        ctx.signal.throwIfAborted();
        const key = resultKey(tenant, structure_id, runId);
        const json = {
          structure_id,
          analysis_id,
          run_id: runId,
          type,
          channels: result.multiSetup?.dofs ?? [],
          setup_datasets: (setups ?? []).map((s) => ({
            name: s.name,
            analysis_id: s.analysis_id,
            dataset_key: s.dataset_key,
          })),
          ...resultToJson(result),
        };
        await ctx.storage.put(key, JSON.stringify(json), { contentType: 'application/json' });
        return { result_key: key, mode_count: result.modes.length };
      }
      ctx.progress(0, 'loading the dataset');
      const dataset = deserializeDataset(await ctx.storage.get(dataset_key));
      const options = analyzeOptions(
        type,
        parameters,
        dataset_key === datasetKey(tenant, structure_id, runId),
      );
      checkToeplitzSize(options, dataset.channels.length);
      const result = await analyzeRecord(dataset.channels, dataset.fs, options, control);
      // An abort that arrived as the engine finished: store nothing.
      ctx.signal.throwIfAborted();
      const key = resultKey(tenant, structure_id, runId);
      const json = {
        structure_id,
        analysis_id,
        run_id: runId,
        type,
        channels: dataset.names,
        dataset_key,
        ...resultToJson(result),
      };
      await ctx.storage.put(key, JSON.stringify(json), { contentType: 'application/json' });
      return { result_key: key, mode_count: result.modes.length };
    } catch (error) {
      throw toStageError(error);
    }
  },
});
