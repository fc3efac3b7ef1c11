import { z } from 'zod';
import type { Params } from '../ports/contract.js';
import type { Pipeline } from './pipeline.js';
import type { Stage } from './stage.js';
import { isCheckedValidator } from './validators.js';

/** A JSON Schema (draft 2020-12) object, as clients receive it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What a client may know of a stage: enough to build a form and check a payload before sending it. */
export interface StageDescription {
  readonly name: string;
  readonly description?: string;
  readonly compute: Stage['compute']['kind'];
  /**
   * The params the stage requires, as a JSON Schema object. A param checked by a function (a
   * look-up) has `x-stagecoach-check: "function"`: only the stage itself can tell whether it holds;
   * a typed reference (`blobRef()`) has its static shape and `x-stagecoach-check: "blob-ref"`.
   */
  readonly inputs: JsonSchema;
  readonly outputs: readonly string[];
  readonly max_retries: number;
  readonly timeout_ms: number;
}

export interface PipelineDescription {
  readonly name: string;
  readonly description?: string;
  readonly priority_lanes: number;
  readonly contract_limit_bytes: number;
  readonly stages: readonly StageDescription[];
}

const toJson = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _dropped, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

/** Whether a schema accepts a missing value (optional, or with a default). */
const acceptsAbsent = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

/** The stage's inputs as one JSON Schema object. */
export function inputsSchema(stage: Stage): JsonSchema {
  const { inputs } = stage;
  if (inputs instanceof z.ZodObject) return toJson(inputs);
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [key, spec] of Object.entries(inputs)) {
    if (spec instanceof z.ZodType) {
      properties[key] = toJson(spec);
      if (!acceptsAbsent(spec)) required.push(key);
    } else if (isCheckedValidator(spec)) {
      properties[key] = { ...toJson(spec.schema), 'x-stagecoach-check': spec.check };
      if (!acceptsAbsent(spec.schema)) required.push(key);
    } else {
      properties[key] = { 'x-stagecoach-check': 'function' };
    }
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

export function describeStage(stage: Stage): StageDescription {
  return {
    name: stage.name,
    ...(stage.description === undefined ? {} : { description: stage.description }),
    compute: stage.compute.kind,
    inputs: inputsSchema(stage),
    outputs: stage.outputKeys,
    max_retries: stage.retry.maxRetries,
    timeout_ms: stage.timeoutMs,
  };
}

export function describePipeline(pipeline: Pipeline): PipelineDescription {
  return {
    name: pipeline.name,
    ...(pipeline.description === undefined ? {} : { description: pipeline.description }),
    priority_lanes: pipeline.priorityLanes,
    contract_limit_bytes: pipeline.contractLimitBytes,
    stages: pipeline.stages.map(describeStage),
  };
}

/** What the static checks of a stage's inputs found wrong with some params. */
export interface InputProblems {
  readonly missing: readonly string[];
  /** `param: what is wrong`. */
  readonly invalid: readonly string[];
}

/**
 * The checks of a stage's inputs that need nothing but the params (its zod schemas, and the static
 * shape of typed references), so an API can refuse a payload the stage would refuse at once.
 * Function validators (look-ups) are the stage's own business and are skipped.
 */
export async function checkInputs(stage: Stage, params: Readonly<Params>): Promise<InputProblems> {
  const missing: string[] = [];
  const invalid: string[] = [];
  const { inputs } = stage;
  if (inputs instanceof z.ZodObject) {
    const parsed = await inputs.safeParseAsync(params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = String(issue.path[0] ?? '(params)');
        if (issue.path.length === 1 && params[key] === undefined) missing.push(key);
        else invalid.push(`${issue.path.length > 0 ? issue.path.join('.') : '(params)'}: ${issue.message}`);
      }
    }
  } else {
    for (const [key, spec] of Object.entries(inputs)) {
      const schema = spec instanceof z.ZodType ? spec : isCheckedValidator(spec) ? spec.schema : undefined;
      if (schema === undefined) continue;
      const parsed = await schema.safeParseAsync(params[key]);
      if (parsed.success) continue;
      if (params[key] === undefined) missing.push(key);
      else invalid.push(`${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  return { missing, invalid };
}
