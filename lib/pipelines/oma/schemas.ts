import { z } from 'zod';
// The engine's defaults module alone: this file is also bundled into the browser console.
import { defaultDecimation, defaultFmax } from '../../oma/run/defaults.js';

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
  /** Top of the band of interest, Hz. @default from the data (the engine's band.ts) */
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
  })
  .refine((f) => !Array.isArray(f.cutoff) || f.cutoff[0] < f.cutoff[1], {
    message: 'the band-pass edges must increase: cutoff [low, high] with low < high (Hz)',
    path: ['cutoff'],
  });

/**
 * The checks that need the sampling rate, made at create when the analysis gives `fs` (the CSV's
 * own rate is only known when a run reads it, and the run makes the same checks then): the band
 * and every filter edge must lie below the Nyquist frequency, before and after decimation.
 */
function checkAgainstNyquist(
  p: {
    readonly fs?: number | undefined;
    readonly fmax?: number | undefined;
    readonly fmin?: number | undefined;
    readonly decimate: number | 'auto';
    readonly filter?: { readonly cutoff: number | readonly [number, number] } | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const fs = p.fs;
  if (fs === undefined) return;
  const nyquist = fs / 2;
  const fmax = p.fmax ?? defaultFmax(fs);
  if (p.fmax !== undefined && p.fmax > nyquist) {
    ctx.addIssue({
      code: 'custom',
      path: ['fmax'],
      message: `fmax ${p.fmax} Hz is above the Nyquist frequency fs/2 = ${nyquist} Hz`,
    });
    return;
  }
  if (p.fmin !== undefined && p.fmax === undefined && p.fmin >= fmax) {
    ctx.addIssue({
      code: 'custom',
      path: ['fmin'],
      message: `fmin must be below fmax (by default min(0.4·fs, 25) = ${fmax} Hz); lower fmin or give fmax`,
    });
  }
  const q = p.decimate === 'auto' ? defaultDecimation(fs, fmax) : p.decimate;
  const reduced = fs / q / 2;
  if (fmax > reduced) {
    ctx.addIssue({
      code: 'custom',
      path: ['decimate'],
      message: `decimating by ${q} leaves a Nyquist frequency of ${reduced} Hz, below fmax ${fmax} Hz; decimate less`,
    });
  }
  const edges =
    p.filter === undefined ? [] : typeof p.filter.cutoff === 'number' ? [p.filter.cutoff] : p.filter.cutoff;
  for (const edge of edges) {
    if (edge >= reduced) {
      ctx.addIssue({
        code: 'custom',
        path: ['filter', 'cutoff'],
        message: `cutoff ${edge} Hz must be below the Nyquist frequency after decimating by ${q} (${reduced} Hz)`,
      });
    }
  }
}

const bandCheck = {
  check: (p: { fmin?: number | undefined; fmax?: number | undefined }) =>
    p.fmin === undefined || p.fmax === undefined || p.fmin < p.fmax,
  message: { message: 'fmin must be below fmax', path: ['fmin'] },
};

/**
 * Channels to leave out of an FDD or SSI analysis: 0-based indices or channel names (checked
 * against the dataset when the analysis runs). Dead channels are left out anyway.
 */
const ExcludeChannelsSchema = z
  .array(z.union([z.int().min(0).max(100_000), z.string().min(1).max(200)]))
  .max(1_000)
  .refine((list) => new Set(list).size === list.length, 'exclude_channels must not repeat a channel');

export const PreprocessingParametersSchema = z
  .object({ ...csvParameters, filter: FilterSchema.optional() })
  .strict()
  .superRefine(checkAgainstNyquist);

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
    exclude_channels: ExcludeChannelsSchema.optional(),
    /** Standard deviations of every mode (jackknife over the Welch segments; docs/oma.md). */
    uncertainty: z.boolean().default(true),
  })
  .strict()
  .refine(bandCheck.check, bandCheck.message)
  .superRefine(checkAgainstNyquist);

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
    exclude_channels: ExcludeChannelsSchema.optional(),
    /** Standard deviations of every mode (first-order perturbation; docs/oma.md). */
    uncertainty: z.boolean().default(true),
  })
  .strict()
  .refine(bandCheck.check, bandCheck.message)
  .refine((p) => p.order_min === undefined || p.order_max === undefined || p.order_min <= p.order_max, {
    message: 'order_min must not exceed order_max',
    path: ['order_min'],
  })
  .superRefine(checkAgainstNyquist);

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

/**
 * A diagnostic of the engine (lib/oma/modal/diagnostics.ts): a code, what was seen, the fix, and
 * the mode (1-based) or channel (0-based) it concerns, with its evidence.
 */
export const DiagnosticSchema = z.object({
  code: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
  fix: z.string().optional(),
  mode: z.number().optional(),
  channel: z.number().optional(),
  channel_name: z.string().optional(),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional(),
});
export type DiagnosticRecord = z.output<typeof DiagnosticSchema>;

/** A spectral line classified as a harmonic (not a mode), with its evidence. */
export const HarmonicSchema = z.object({
  frequency: z.number(),
  source: z.string(),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
});

/** The band an analysis searched, its decimation, and why. */
export const BandSchema = z.object({
  fmin: z.number(),
  fmax: z.number(),
  decimate: z.number(),
  chosen: z.enum(['auto', 'user']),
  reason: z.string(),
});

/** What a preprocessed dataset is, in a few numbers (the dataset file holds the channel names). */
export const DatasetSummarySchema = z.object({
  fs: z.number(),
  fs_input: z.number(),
  decimate: z.number(),
  samples: z.number(),
  channels: z.number(),
  duration_s: z.number(),
  warnings: z.array(z.string()).default([]),
  /** The sensor check of the raw record (dead, clipped, spiky channels, …), at most 20. */
  diagnostics: z.array(DiagnosticSchema).optional(),
  /** The band the dataset was decimated for. */
  band: BandSchema.optional(),
  /** The channels' names (MULTI_SETUP analyses check their reference channels against them). */
  channel_names: z.array(z.string()).optional(),
});
export type DatasetSummary = z.output<typeof DatasetSummarySchema>;

/** A mode's uncertainty for the record's length (Au's law). */
export const ExpectedUncertaintySchema = z.object({
  frequency_cv: z.number().nullable(),
  damping_cv: z.number().nullable(),
  cycles: z.number().nullable(),
  record_for_20pct: z.number().nullable(),
});

export const ModeSummarySchema = z.object({
  frequency: z.number(),
  damping: z.number().nullable(),
  /** The statistical standard deviations (the mode's `uncertainty`), when the method gave them. */
  frequency_std: z.number().nullable().optional(),
  damping_std: z.number().nullable().optional(),
  mpc: z.number().nullable().optional(),
  expected: ExpectedUncertaintySchema.optional(),
});
export type ModeSummary = z.output<typeof ModeSummarySchema>;

export const ResultSummarySchema = z.object({
  method: z.string(),
  fs: z.number(),
  modes: z.array(ModeSummarySchema),
  /** The diagnostics as one line each (message — fix), warnings first: a view of `diagnostics`. */
  warnings: z.array(z.string()).default([]),
  /** Absent in summaries stored before diagnostics existed. */
  diagnostics: z.array(DiagnosticSchema).optional(),
  harmonics: z.array(HarmonicSchema).optional(),
  band: BandSchema.optional(),
  excluded_channels: z.array(z.number()).optional(),
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
