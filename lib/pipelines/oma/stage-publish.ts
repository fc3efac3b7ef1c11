import { ValidationError } from '../../core/errors.js';
import { defineStage } from '../../core/stage.js';
import { modesKey } from './keys.js';
import { ResultFileSchema, resultsRecord, summarize } from './result-summary.js';
import type { ResultSummary } from './schemas.js';
import { analysisInputs, existingKey } from './stage-inputs.js';

/** Modes named in the job's params (the summary); the results record and the JSON hold them all. */
const MAX_SUMMARY_MODES = 50;

/**
 * Stores the results of a finished analysis: checks the full result JSON, writes the results
 * document (modes, shapes, MAC — what the results record holds) beside it, and passes the ids and
 * a summary on. When the job is DONE the status listener writes them into the analysis record and
 * the results record, together with the DONE status, so no reader ever sees a DONE analysis without
 * its results, nor results on an aborted one. (Stages see storage, not the RecordStore.)
 */
export const publishStage = defineStage({
  name: 'publish',
  description: 'Result JSON → results document, ids and summary for the analysis record',
  inputs: {
    ...analysisInputs,
    result_key: existingKey(
      (params, key) =>
        `The result of run of analysis '${String(params.analysis_id)}' is not in storage${key === undefined ? '' : ` (${key})`}; run the analysis again.`,
    ),
  },
  outputs: ['result_id', 'modes_key', 'summary'],
  timeoutMs: 2 * 60_000,
  heartbeatMs: 500,
  compute: { kind: 'lambda', memoryMb: 1024 },
  async process({ structure_id, result_key }, ctx) {
    const text = Buffer.from(await ctx.storage.get(result_key)).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(`The result ${result_key} is not valid JSON.`, { cause: error });
    }
    const parsed = ResultFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new ValidationError(`The result ${result_key} is not an OMA result: ${parsed.error.message}`);
    }
    const result = parsed.data;
    const key = modesKey(ctx.job.tenant_id, structure_id, ctx.job.job_id);
    const document = resultsRecord(result, result_key, new Date().toISOString());
    await ctx.storage.put(key, JSON.stringify(document), { contentType: 'application/json' });
    const full = summarize(result);
    const summary: ResultSummary = {
      ...full,
      modes: full.modes.slice(0, MAX_SUMMARY_MODES),
      warnings: full.warnings.slice(0, 3),
    };
    ctx.progress(100, `${result.modes.length} modes stored`);
    return { result_id: ctx.job.job_id, modes_key: key, summary };
  },
});
