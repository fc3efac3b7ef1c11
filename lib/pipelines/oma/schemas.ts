import { z } from 'zod';

/**
 * The OMA service's vocabulary: analysis types and statuses (as the OMA worker had them), the
 * parameters of each type with their defaults, and the analysis record. Every API body, job param
 * and stored record is parsed with these schemas where it enters.
 */

export const ANALYSIS_TYPES = ['PREPROCESSING', 'FDD', 'SSI', 'MULTI_SETUP'] as const;
export type AnalysisType = (typeof ANALYSIS_TYPES)[number];

export const ANALYSIS_STATUSES = ['READY', 'QUEUED', 'RUNNING', 'DONE', 'ERROR', 'ABORTED'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

export const TERMINAL_ANALYSIS_STATUSES: readonly AnalysisStatus[] = ['DONE', 'ERROR', 'ABORTED'];
export const isFinished = (status: AnalysisStatus): boolean => TERMINAL_ANALYSIS_STATUSES.includes(status);
/** An analysis with a run in flight: it cannot be run again, nor its CSV replaced, until it ends. */
export const isInFlight = (status: AnalysisStatus): boolean => status === 'QUEUED' || status === 'RUNNING';

/**
 * How far along a run is. A job event may only move an analysis forward (events arrive at least
 * once and in any order), and the first terminal status of a run wins.
 */
export function statusRank(status: AnalysisStatus): number {
  switch (status) {
    case 'READY':
      return 0;
    case 'QUEUED':
      return 1;
    case 'RUNNING':
      return 2;
    default:
      return 3;
  }
}

export const AnalysisTypeSchema = z.enum(ANALYSIS_TYPES, {
  error: (issue) =>
    issue.input === undefined
      ? `type is required: one of ${ANALYSIS_TYPES.join(', ')}`
      : `type must be one of ${ANALYSIS_TYPES.join(', ')} (got ${JSON.stringify(issue.input)})`,
});
export const AnalysisStatusSchema = z.enum(ANALYSIS_STATUSES);

/** Ids that are safe as record ids and as one segment of a storage key. */
const SegmentSchema = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, `${what} must be 1-64 letters, digits, '.', '_' or '-'`)
    .refine((id) => id !== '.' && id !== '..', `${what} must not be '.' or '..'`);

export const StructureIdSchema = SegmentSchema('structure_id');
export const AnalysisIdSchema = SegmentSchema('analysis_id');

// ---------------------------------------------------------------------------------------------
// Parameters. Names follow the API's snake_case; defaults are the engine's (docs/oma.md §9).
// ---------------------------------------------------------------------------------------------

const Hz = z.number().positive().max(1_000_000);

/** How the measurement CSV becomes a dataset (used by every type when a CSV is preprocessed). */
const csvParameters = {
  /** Sampling rate, Hz; required when the CSV has no time column, overrides it otherwise. */
  fs: Hz.optional(),
  /** Integer factor, or 'auto': the largest q with fs/q ≥ 5·fmax. */
  decimate: z.union([z.literal('auto'), z.int().min(1).max(1000)]).default('auto'),
  detrend: z.enum(['linear', 'mean', 'none']).default('linear'),
  /** Top of the band of interest, Hz. @default min(0.4·fs, 25) */
  fmax: Hz.optional(),
};

const FilterSchema = z
  .object({
    type: z.enum(['lowpass', 'highpass', 'bandpass']),
    cutoff: z.union([Hz, z.tuple([Hz, Hz])]),
    order: z.int().min(1).max(10).default(4),
  })
  .strict()
  .refine((f) => (f.type === 'bandpass') === Array.isArray(f.cutoff), {
    message: 'a bandpass filter needs cutoff [low, high]; lowpass and highpass need one cutoff',
    path: ['cutoff'],
  });

const bandCheck = {
  check: (p: { fmin?: number | undefined; fmax?: number | undefined }) =>
    p.fmin === undefined || p.fmax === undefined || p.fmin < p.fmax,
  message: { message: 'fmin must be below fmax', path: ['fmin'] },
};

export const PreprocessingParametersSchema = z
  .object({ ...csvParameters, filter: FilterSchema.optional() })
  .strict();

export const FddParametersSchema = z
  .object({
    ...csvParameters,
    fmin: z.number().min(0).optional(),
    /** EFDD adds damping from the SDOF bell; plain FDD gives a half-power estimate. */
    method: z.enum(['efdd', 'fdd']).default('efdd'),
    /** Welch segment length. @default largest power of two ≤ N/8 */
    nperseg: z
      .int()
      .min(16)
      .max(1 << 20)
      .optional(),
    overlap: z.number().min(0).max(0.9).default(0.5),
    /** Standard deviations of every mode (jackknife over the Welch segments; docs/oma.md). */
    uncertainty: z.boolean().default(true),
  })
  .strict()
  .refine(bandCheck.check, bandCheck.message);

export const SsiParametersSchema = z
  .object({
    ...csvParameters,
    fmin: z.number().min(0).optional(),
    /** Block rows. @default from fs and fmin */
    br: z.int().min(2).max(2_000).optional(),
    order_min: z.int().min(1).max(200).optional(),
    /** @default 100, capped by the Toeplitz size; at most 200 so each SVD product stays short (abort latency). */
    order_max: z.int().min(2).max(200).optional(),
    order_step: z.int().min(1).max(100).default(2),
    /** Standard deviations of every mode (first-order perturbation; docs/oma.md). */
    uncertainty: z.boolean().default(true),
  })
  .strict()
  .refine(bandCheck.check, bandCheck.message)
  .refine((p) => p.order_min === undefined || p.order_max === undefined || p.order_min <= p.order_max, {
    message: 'order_min must not exceed order_max',
    path: ['order_min'],
  });

/** One setup of a MULTI_SETUP analysis: a DONE PREPROCESSING analysis and its reference channels. */
export const SetupParameterSchema = z
  .object({
    analysis_id: AnalysisIdSchema,
    /** Names or 0-based indices of the channels that stayed in place, in the same order in every setup. */
    reference_channels: z
      .array(z.union([z.string().min(1).max(200), z.int().min(0).max(100_000)]))
      .min(1, 'reference_channels must name at least one channel that every setup shares')
      .max(64),
    /** A label for messages and results. @default the analysis id */
    name: z.string().min(1).max(64).optional(),
  })
  .strict();

/**
 * MULTI_SETUP: several PREPROCESSING analyses (datasets) of the structure merged into modes over
 * every measured DOF (docs/oma.md, "Multi-setup").
 */
export const MultiSetupParametersSchema = z
  .object({
    setups: z.array(SetupParameterSchema).min(2, 'a MULTI_SETUP analysis needs at least 2 setups').max(20),
    method: z.enum(['ssi', 'efdd', 'fdd']).default('ssi'),
    /** 'poser': identify per setup, rescale on the references; 'preger': one SSI on merged data. */
    merge: z.enum(['poser', 'preger']).default('poser'),
    /** Integer factor, or 'auto' relative to each dataset's rate and fmax (usually 1). */
    decimate: z.union([z.literal('auto'), z.int().min(1).max(1000)]).default('auto'),
    /** The datasets were detrended by their PREPROCESSING analyses. */
    detrend: z.enum(['linear', 'mean', 'none']).default('none'),
    fmin: z.number().min(0).optional(),
    fmax: Hz.optional(),
    br: z.int().min(2).max(2_000).optional(),
    order_min: z.int().min(1).max(200).optional(),
    order_max: z.int().min(2).max(200).optional(),
    order_step: z.int().min(1).max(100).default(2),
    nperseg: z
      .int()
      .min(16)
      .max(1 << 20)
      .optional(),
    overlap: z.number().min(0).max(0.9).default(0.5),
    uncertainty: z.boolean().default(true),
  })
  .strict()
  .refine(bandCheck.check, bandCheck.message)
  .refine((p) => new Set(p.setups.map((s) => s.analysis_id)).size === p.setups.length, {
    message: 'each setup must be a different analysis',
    path: ['setups'],
  })
  .refine((p) => new Set(p.setups.map((s) => s.name ?? s.analysis_id)).size === p.setups.length, {
    message: 'setup names must differ',
    path: ['setups'],
  })
  .refine((p) => new Set(p.setups.map((s) => s.reference_channels.length)).size === 1, {
    message:
      'every setup must declare the same number of reference_channels (the same sensors, in the same order)',
    path: ['setups'],
  })
  .refine((p) => p.merge === 'poser' || p.method === 'ssi', {
    message: "merge 'preger' merges SSI's correlations: use it with method 'ssi'",
    path: ['merge'],
  });

export type PreprocessingParameters = z.output<typeof PreprocessingParametersSchema>;
export type FddParameters = z.output<typeof FddParametersSchema>;
export type SsiParameters = z.output<typeof SsiParametersSchema>;
export type MultiSetupParameters = z.output<typeof MultiSetupParametersSchema>;
export type AnalysisParameters =
  | PreprocessingParameters
  | FddParameters
  | SsiParameters
  | MultiSetupParameters;

export type ParametersOf<T extends AnalysisType> = T extends 'PREPROCESSING'
  ? PreprocessingParameters
  : T extends 'FDD'
    ? FddParameters
    : T extends 'SSI'
      ? SsiParameters
      : MultiSetupParameters;

export function parametersSchema(type: AnalysisType): z.ZodType<AnalysisParameters> {
  switch (type) {
    case 'PREPROCESSING':
      return namingUnknown(PreprocessingParametersSchema);
    case 'FDD':
      return namingUnknown(FddParametersSchema);
    case 'SSI':
      return namingUnknown(SsiParametersSchema);
    case 'MULTI_SETUP':
      return namingUnknown(MultiSetupParametersSchema);
  }
}

/**
 * Refuses an unknown parameter by its name, listing the valid ones (zod alone says "Unrecognized
 * key"), together with every other problem of the parameters.
 */
function namingUnknown<T extends z.ZodObject>(schema: T) {
  const valid = Object.keys(schema.shape);
  return z
    .record(z.string(), z.unknown())
    .superRefine((value, ctx) => {
      const unknown = Object.keys(value).filter((k) => !valid.includes(k));
      if (unknown.length === 0) return; // the type's own schema checks the rest
      for (const key of unknown) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown parameter (valid: ${valid.join(', ')})`,
        });
      }
      const known = schema.safeParse(
        Object.fromEntries(Object.entries(value).filter(([k]) => valid.includes(k))),
      );
      for (const issue of known.error?.issues ?? []) ctx.addIssue({ ...issue, code: 'custom' });
    })
    .pipe(schema);
}

// ---------------------------------------------------------------------------------------------
// API bodies.
// ---------------------------------------------------------------------------------------------

/** `POST /structures/:sid/analyses`; the parameters are checked against the type's schema after. */
export const CreateAnalysisSchema = z
  .object({
    type: AnalysisTypeSchema,
    parameters: z.record(z.string(), z.unknown()).default({}),
    /** Chosen by the caller (an idempotency key of sorts); generated when absent. */
    analysis_id: AnalysisIdSchema.optional(),
    name: z.string().max(200).optional(),
  })
  .strict();
export type CreateAnalysisRequest = z.input<typeof CreateAnalysisSchema>;

export const AbortAnalysisSchema = z.object({ reason: z.string().max(500).optional() }).strict();

// ---------------------------------------------------------------------------------------------
// The stored records.
// ---------------------------------------------------------------------------------------------

/** What a preprocessed dataset is, in a few numbers (the dataset file holds the channel names). */
export const DatasetSummarySchema = z.object({
  fs: z.number(),
  fs_input: z.number(),
  decimate: z.number(),
  samples: z.number(),
  channels: z.number(),
  duration_s: z.number(),
  warnings: z.array(z.string()).default([]),
  /** The channels' names (MULTI_SETUP analyses check their reference channels against them). */
  channel_names: z.array(z.string()).optional(),
});
export type DatasetSummary = z.output<typeof DatasetSummarySchema>;

export const ModeSummarySchema = z.object({
  frequency: z.number(),
  damping: z.number().nullable(),
  /** The statistical standard deviations (the mode's `uncertainty`), when the method gave them. */
  frequency_std: z.number().nullable().optional(),
  damping_std: z.number().nullable().optional(),
  mpc: z.number().nullable().optional(),
});
export type ModeSummary = z.output<typeof ModeSummarySchema>;

export const ResultSummarySchema = z.object({
  method: z.string(),
  fs: z.number(),
  modes: z.array(ModeSummarySchema),
  warnings: z.array(z.string()).default([]),
});
export type ResultSummary = z.output<typeof ResultSummarySchema>;

const HistoryEntrySchema = z.object({
  status: AnalysisStatusSchema,
  at: z.string(),
  run_id: z.string().optional(),
});

export const AnalysisRecordSchema = z.object({
  structure_id: StructureIdSchema,
  analysis_id: AnalysisIdSchema,
  type: AnalysisTypeSchema,
  status: AnalysisStatusSchema,
  parameters: z.record(z.string(), z.unknown()),
  name: z.string().optional(),
  created_by: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Where the measurement CSV of this analysis goes (it may not have been uploaded). */
  csv_key: z.string(),
  /** The current (or last) run: its job id, who started it and when. */
  run_id: z.string().optional(),
  run_number: z.number().default(0),
  run_by: z.string().optional(),
  queued_at: z.string().optional(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  /** The dataset the run used (FDD/SSI) or produced (PREPROCESSING). */
  dataset_key: z.string().optional(),
  dataset: DatasetSummarySchema.optional(),
  /** The run's results: the results record's id, the full result JSON's key, and a summary. */
  result_id: z.string().optional(),
  result_key: z.string().optional(),
  summary: ResultSummarySchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Status changes, oldest first (the most recent 50). */
  history: z.array(HistoryEntrySchema).default([]),
});
export type AnalysisRecord = z.output<typeof AnalysisRecordSchema>;

/** The structure's own record: which dataset FDD and SSI analyses reuse. */
export const StructureRecordSchema = z.object({
  structure_id: StructureIdSchema,
  dataset_key: z.string(),
  dataset: DatasetSummarySchema,
  dataset_analysis_id: z.string(),
  dataset_run_id: z.string(),
  /** When the run that produced it finished; a later dataset never yields to an earlier one. */
  dataset_at: z.string(),
});
export type StructureRecord = z.output<typeof StructureRecordSchema>;

/** The params of an `oma` job: identity and references, never data (the contract has a size limit). */
export const RunParamsSchema = z.object({
  structure_id: StructureIdSchema,
  analysis_id: AnalysisIdSchema,
  type: AnalysisTypeSchema,
  user_id: z.string().optional(),
  dataset_key: z.string().optional(),
  dataset: DatasetSummarySchema.optional(),
});
export type RunParams = z.output<typeof RunParamsSchema>;

/** A MULTI_SETUP run's setups as its job carries them: each setup's dataset, resolved at run time. */
export const SetupDatasetSchema = z.object({
  name: z.string(),
  analysis_id: AnalysisIdSchema,
  dataset_key: z.string().min(1),
  reference_channels: z.array(z.union([z.string(), z.int().min(0)])).min(1),
});
export type SetupDataset = z.output<typeof SetupDatasetSchema>;

/** What a finished job's params add: the stages' outputs the listener copies into the records. */
export const FinishedRunParamsSchema = RunParamsSchema.extend({
  result_key: z.string().optional(),
  result_id: z.string().optional(),
  modes_key: z.string().optional(),
  summary: ResultSummarySchema.optional(),
});
export type FinishedRunParams = z.output<typeof FinishedRunParamsSchema>;
