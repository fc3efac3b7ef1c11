import { ValidationError } from '../../core/ports/index.js';
import { defineStage } from '../../core/sdk/index.js';
import { AnalysisStore } from './analysis-store.js';
import { modesKey } from './keys.js';
import { ResultFileSchema, resultsRecord, summarize } from './result-summary.js';
import type { ResultSummary } from './schemas.js';
import { analysisInputs, existingKey } from './stage-inputs.js';

/** Modes named in the job's params (the summary); the results record and the JSON hold them all. */
const MAX_SUMMARY_MODES = 50;
/**
 * Diagnostics and harmonics named in the job's params (warnings first), which must stay within
 * the job contract's 32 KiB; the results record holds up to 50 and 20, the result JSON all.
 */
const MAX_SUMMARY_DIAGNOSTICS = 5;

/**
 * Stores the results of a finished analysis: checks the full result JSON, writes the results
 * document (modes, shapes, MAC) beside it and as the results record, and writes the result's ids
 * and a summary back into the analysis record — which stays RUNNING until the job is DONE, when the
 * status listener marks it DONE (and an abort that lands in between removes all of it again).
 */
export const publishStage = defineStage({
  name: 'publish',
  description: 'Result JSON → results record; its ids and a summary written back into the analysis record',
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
  async process({ structure_id, analysis_id, result_key }, ctx) {
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
    const tenant = ctx.job.tenant_id;
    const runId = ctx.job.job_id;
    const key = modesKey(tenant, structure_id, runId);
    const document = resultsRecord(result, result_key, new Date().toISOString());
    await ctx.storage.put(key, JSON.stringify(document), { contentType: 'application/json' });
    const full = summarize(result);
    const summary: ResultSummary = {
      ...full,
      modes: full.modes.slice(0, MAX_SUMMARY_MODES),
      warnings: full.warnings.slice(0, 3),
      diagnostics: (full.diagnostics ?? []).slice(0, MAX_SUMMARY_DIAGNOSTICS),
      harmonics: (full.harmonics ?? []).slice(0, MAX_SUMMARY_DIAGNOSTICS),
    };
    // The results record, then its ids on the analysis — only if this run is still the analysis's
    // current one (a newer run owns the record otherwise). Both writes are idempotent.
    const store = new AnalysisStore(() => ctx.records);
    await store.putResult(tenant, structure_id, runId, document);
    await store.update(tenant, structure_id, analysis_id, (record) =>
      record.run_id === runId ? { ...record, result_id: runId, result_key, summary } : undefined,
    );
    ctx.progress(100, `${result.modes.length} modes stored`);
    return { result_id: runId, modes_key: key, summary };
  },
});
