import { z } from 'zod';
import type { ResultSummary } from './schemas.js';

/**
 * The full result JSON the analyze stage writes (the engine's `resultToJson` plus the run's
 * identity and the channel names), as far as the service reads it. Extra fields (the
 * stabilization diagram, the singular values) pass through untouched.
 */
const num = z.number().nullable();

/** A mode's statistical uncertainty (engine `uncertainty`, snake_case in JSON). */
export const ResultUncertaintySchema = z.object({
  frequency_std: num,
  damping_std: num,
  shape_std: z.array(num).optional(),
  mac_interval: z.tuple([num, num]).optional(),
  method: z.enum(['perturbation', 'segments']),
  blocks: z.number().optional(),
});

export const ResultModeSchema = z.object({
  frequency: z.number(),
  damping: num,
  shape: z.array(num),
  /** SSI: spread of the stabilization cluster over the model orders (not an uncertainty). */
  order_spread: z.object({ frequency: num, damping: num }).optional(),
  uncertainty: ResultUncertaintySchema.optional(),
  /** MULTI_SETUP (PoSER): each setup's estimate of the mode. */
  setups: z
    .array(z.object({ setup: z.string(), frequency: num, damping: num, reference_mac: num, scale: num }))
    .optional(),
  order: num.optional(),
  poles: num.optional(),
  mpc: num.optional(),
  mpd: num.optional(),
  error: z.string().optional(),
});

export const ResultFileSchema = z.object({
  structure_id: z.string(),
  analysis_id: z.string(),
  run_id: z.string(),
  type: z.string(),
  method: z.string(),
  fs: z.number(),
  channels: z.array(z.string()),
  modes: z.array(ResultModeSchema),
  macMatrix: z.array(z.array(num)),
  warnings: z.array(z.string()).default([]),
  timings: z.record(z.string(), num).default({}),
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** MULTI_SETUP: the setups and the merged DOFs (`channels` are the DOFs). */
  multi_setup: z.record(z.string(), z.unknown()).optional(),
});
export type ResultFile = z.output<typeof ResultFileSchema>;

/** Shapes go into the results record only while it stays far below DynamoDB's 400 KB item limit. */
const MAX_SHAPE_VALUES = 5_000;
const MAX_WARNINGS = 10;

/** The analysis record's summary: the modes' frequencies and damping ratios, no shapes. */
export function summarize(result: ResultFile): ResultSummary {
  return {
    method: result.method,
    fs: result.fs,
    modes: result.modes.map((m) => ({
      frequency: m.frequency,
      damping: m.damping,
      ...(m.uncertainty === undefined
        ? {}
        : { frequency_std: m.uncertainty.frequency_std, damping_std: m.uncertainty.damping_std }),
      ...(m.mpc === undefined ? {} : { mpc: m.mpc }),
    })),
    warnings: result.warnings.slice(0, MAX_WARNINGS).map((w) => w.slice(0, 300)),
  };
}

/**
 * The results record (what the OMA worker kept in `modals_analysis_results_<structure>`): modes
 * with their shapes and the MAC matrix; the stabilization diagram and the spectrum stay in the
 * JSON in storage, which the record references.
 */
export function resultsRecord(
  result: ResultFile,
  resultKey: string,
  createdAt: string,
): Record<string, unknown> {
  const shapes = result.modes.length * result.channels.length <= MAX_SHAPE_VALUES;
  return {
    result_id: result.run_id,
    structure_id: result.structure_id,
    analysis_id: result.analysis_id,
    run_id: result.run_id,
    type: result.type,
    method: result.method,
    fs: result.fs,
    channels: shapes ? result.channels : [],
    modes: result.modes.map((m) => ({
      frequency: m.frequency,
      damping: m.damping,
      order_spread: m.order_spread ?? null,
      // σ per shape component only where the shapes themselves are in the record.
      uncertainty:
        m.uncertainty === undefined ? null : shapes ? m.uncertainty : withoutShapeStd(m.uncertainty),
      mpc: m.mpc ?? null,
      mpd: m.mpd ?? null,
      order: m.order ?? null,
      ...(shapes ? { shape: m.shape } : {}),
      ...(m.setups === undefined ? {} : { setups: m.setups }),
      ...(m.error === undefined ? {} : { error: m.error }),
    })),
    ...(result.multi_setup === undefined ? {} : { multi_setup: result.multi_setup }),
    mac_matrix: result.macMatrix,
    shapes_in: shapes ? 'record' : 'result_key',
    result_key: resultKey,
    timings: result.timings,
    created_at: createdAt,
  };
}

function withoutShapeStd<T extends { shape_std?: unknown }>(u: T): Omit<T, 'shape_std'> {
  const { shape_std: _dropped, ...rest } = u;
  return rest;
}
