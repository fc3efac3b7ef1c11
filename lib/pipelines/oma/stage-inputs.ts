import { z } from 'zod';
import { formatIssues, InvalidParamError, NotFoundError } from '../../core/ports/index.js';
import type { Validator } from '../../core/sdk/index.js';
import {
  AnalysisIdSchema,
  type AnalysisParameters,
  AnalysisTypeSchema,
  parametersSchema,
  StructureIdSchema,
} from './schemas.js';

/** The params every stage of an `oma` job reads: which analysis of which structure, and its type. */
export const analysisInputs = {
  structure_id: StructureIdSchema,
  analysis_id: AnalysisIdSchema,
  type: AnalysisTypeSchema,
};

/** The analysis's parameters, checked against its type's schema (defaults filled in). */
export const parametersInput: Validator<AnalysisParameters> = (value, ctx) => {
  const type = AnalysisTypeSchema.safeParse(ctx.params.type);
  if (!type.success) throw new InvalidParamError('type', formatIssues(type.error));
  const parsed = parametersSchema(type.data).safeParse(value ?? {});
  if (!parsed.success) throw new InvalidParamError(ctx.param, formatIssues(parsed.error));
  return parsed.data;
};

/**
 * A storage key that must exist; when it does not, the job fails at once with `missing(...)`, a
 * message that says how to fix it (a NotFoundError is not retried: waiting will not upload a file).
 */
export function existingKey(
  missing: (params: Readonly<Record<string, unknown>>, key?: string) => string,
): Validator<string> {
  return async (value, ctx) => {
    const key = z.string().min(1).safeParse(value);
    if (!key.success) throw new NotFoundError(missing(ctx.params));
    if ((await ctx.storage.head(key.data)) === undefined)
      throw new NotFoundError(missing(ctx.params, key.data));
    return key.data;
  };
}
