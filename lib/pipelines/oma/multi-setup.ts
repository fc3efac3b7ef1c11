import { z } from 'zod';
import { InvalidParamError, NotFoundError, ValidationError } from '../../core/ports/index.js';
import type { BlobStore, Validator } from '../../core/sdk/index.js';
import {
  analyzeSetups,
  deserializeDataset,
  type MultiSetupOptions,
  type OmaResult,
  type RunControl,
  type SetupRecord,
} from '../../oma/index.js';
import type { AnalysisStore } from './analysis-store.js';
import { type MultiSetupParameters, type SetupDataset, SetupDatasetSchema } from './schemas.js';

/**
 * The MULTI_SETUP analysis type (docs/oma-service.md): a structure measured in several setups,
 * each uploaded and preprocessed as a PREPROCESSING analysis, merged by one MULTI_SETUP analysis.
 * Create checks the setups against the records (they exist, are PREPROCESSING analyses with a
 * dataset, name channels their datasets have); run resolves each setup's current dataset into
 * the job's params; the analyze stage loads them and runs the engine's analyzeSetups.
 */

/** The setups' analyses as they are now: every problem at once, as one 400. */
export async function checkSetups(
  store: AnalysisStore,
  tenant: string,
  structureId: string,
  parameters: MultiSetupParameters,
): Promise<void> {
  const problems: string[] = [];
  for (const [i, setup] of parameters.setups.entries()) {
    const at = `setups[${i}] (analysis '${setup.analysis_id}')`;
    const found = await store.get(tenant, structureId, setup.analysis_id);
    if (found === undefined) {
      problems.push(`${at} is not an analysis of structure '${structureId}'`);
      continue;
    }
    const record = found.value;
    if (record.type !== 'PREPROCESSING') {
      problems.push(`${at} is a ${record.type} analysis; a setup is a PREPROCESSING analysis (its dataset)`);
      continue;
    }
    if (record.status !== 'DONE' || record.dataset_key === undefined || record.dataset === undefined) {
      problems.push(
        `${at} is ${record.status} and has no dataset yet: upload its CSV and run it to DONE first`,
      );
      continue;
    }
    const names = record.dataset.channel_names;
    for (const ref of setup.reference_channels) {
      if (typeof ref === 'number' && ref >= record.dataset.channels)
        problems.push(
          `${at} has ${record.dataset.channels} channels; reference channel index ${ref} is out of range`,
        );
      if (typeof ref === 'string' && names !== undefined && !names.includes(ref))
        problems.push(`${at} has no channel '${ref}' (its channels: ${names.join(', ')})`);
    }
  }
  if (problems.length > 0)
    throw new ValidationError(`Invalid MULTI_SETUP setups: ${problems.join('; ')}.`, { code: 'BAD_REQUEST' });
}

/** Each setup's current dataset, for the run's job (a missing one fails the run at its start). */
export async function resolveSetups(
  store: AnalysisStore,
  tenant: string,
  structureId: string,
  parameters: MultiSetupParameters,
): Promise<SetupDataset[]> {
  const out: SetupDataset[] = [];
  for (const setup of parameters.setups) {
    const record = (await store.get(tenant, structureId, setup.analysis_id))?.value;
    out.push({
      name: setup.name ?? setup.analysis_id,
      analysis_id: setup.analysis_id,
      dataset_key: record?.dataset_key ?? '',
      reference_channels: setup.reference_channels,
    });
  }
  return out;
}

/** The analyze stage's `setups` input: required for MULTI_SETUP, every dataset in storage. */
export const setupsInput: Validator<SetupDataset[] | undefined> = async (value, ctx) => {
  if (ctx.params.type !== 'MULTI_SETUP') return undefined;
  const parsed = z.array(SetupDatasetSchema).min(2).safeParse(value);
  if (!parsed.success) throw new InvalidParamError(ctx.param, parsed.error.message);
  for (const setup of parsed.data) {
    if (setup.dataset_key === '' || (await ctx.storage.head(setup.dataset_key)) === undefined)
      throw new NotFoundError(
        `The dataset of setup '${setup.name}' (PREPROCESSING analysis '${setup.analysis_id}') is not in storage: run that analysis to DONE, then this one again.`,
      );
  }
  return parsed.data;
};

/** The engine's options for a MULTI_SETUP analysis. */
export function multiSetupOptions(p: MultiSetupParameters): MultiSetupOptions {
  return {
    method: p.method,
    merge: p.merge,
    decimate: p.decimate,
    detrend: p.detrend,
    uncertainty: p.uncertainty,
    overlap: p.overlap,
    orderStep: p.order_step,
    ...(p.fmin === undefined ? {} : { fmin: p.fmin }),
    ...(p.fmax === undefined ? {} : { fmax: p.fmax }),
    ...(p.br === undefined ? {} : { br: p.br }),
    ...(p.order_min === undefined ? {} : { orderMin: p.order_min }),
    ...(p.order_max === undefined ? {} : { orderMax: p.order_max }),
    ...(p.nperseg === undefined ? {} : { nperseg: p.nperseg }),
  };
}

/** Loads the setups' datasets and merges them. */
export async function analyzeSetupDatasets(
  storage: BlobStore,
  setups: readonly SetupDataset[],
  parameters: MultiSetupParameters,
  control: RunControl,
): Promise<OmaResult> {
  const records: SetupRecord[] = [];
  for (const setup of setups) {
    const dataset = deserializeDataset(await storage.get(setup.dataset_key));
    records.push({
      name: setup.name,
      channels: dataset.channels,
      channelNames: dataset.names,
      fs: dataset.fs,
      references: setup.reference_channels,
    });
  }
  return analyzeSetups(records, multiSetupOptions(parameters), control);
}
