import { formatIssues, InvalidParamError } from '../../core/ports/index.js';
import { blobRef, type CheckedValidator, type Validator } from '../../core/sdk/index.js';
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
 * A typed reference to an object of this service in the job's tenant's storage (under
 * `oma/<tenant>/`), which must exist; when it does not — or the reference points anywhere else —
 * the job fails at once with `missing(...)`, a message that says how to fix it (a NotFoundError is
 * not retried: waiting will not upload a file).
 */
export function existingKey(
  missing: (params: Readonly<Record<string, unknown>>, key?: string) => string,
): CheckedValidator<string> {
  return blobRef({
    absent: 'not-found',
    under: (ctx) => `oma/${ctx.job.tenant_id}/`,
    notFound: (ctx, key) => missing(ctx.params, key),
  });
}
