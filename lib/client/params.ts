import { z } from 'zod';

/**
 * A stage's inputs, as GET /pipelines describes them (a JSON Schema object), turned into what a
 * form or a command line needs: the params it takes, what each expects in words, and a check of
 * a payload that names every missing and invalid param before anything is sent. The schemas are
 * translated with zod's own `z.fromJSONSchema`, so this runs in browsers too. A param checked by a
 * function (a look-up, `x-stagecoach-check: "function"`) is the stage's business and is skipped,
 * as the API's own check skips it.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ParamSpec {
  readonly name: string;
  readonly required: boolean;
  /** Only the stage can tell whether a value holds (a look-up). */
  readonly checkedByStage: boolean;
  /** What the param takes, in words, e.g. `an integer 1–50 (default 5)`. */
  readonly expects: string;
  readonly schema: JsonSchema;
}

export interface ParamProblems {
  readonly missing: readonly string[];
  /** `param: what is wrong`, one per problem. */
  readonly invalid: readonly string[];
  /** Keys the schema refuses outright (`additionalProperties: false`). */
  readonly unknown: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const propertiesOf = (inputs: JsonSchema): Record<string, JsonSchema> =>
  isRecord(inputs.properties) ? (inputs.properties as Record<string, JsonSchema>) : {};

const requiredOf = (inputs: JsonSchema): readonly string[] =>
  Array.isArray(inputs.required) ? inputs.required.filter((k): k is string => typeof k === 'string') : [];

/** The params a stage takes, in the schema's order. */
export function paramSpecs(inputs: JsonSchema): ParamSpec[] {
  const required = new Set(requiredOf(inputs));
  return Object.entries(propertiesOf(inputs)).map(([name, schema]) => ({
    name,
    required: required.has(name),
    checkedByStage: schema['x-stagecoach-check'] === 'function',
    expects: expects(schema),
    schema,
  }));
}

const compiled = new WeakMap<JsonSchema, z.ZodType | null>();

/** A validator for one param's schema; undefined when the schema cannot be translated. */
function validator(schema: JsonSchema): z.ZodType | undefined {
  let found = compiled.get(schema);
  if (found === undefined) {
    try {
      found = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch {
      found = null;
    }
    compiled.set(schema, found);
  }
  return found ?? undefined;
}

/** Whether `value` satisfies a param's schema (true when the client cannot tell). */
export function accepts(spec: ParamSpec, value: unknown): boolean {
  if (spec.checkedByStage) return true;
  return validator(spec.schema)?.safeParse(value).success ?? true;
}

const SCALAR = new Set(['string', 'number', 'integer', 'boolean']);

/** A schema whose expectation reads better than zod's issue (a scalar, a choice, alternatives). */
const isSimple = (schema: JsonSchema): boolean =>
  SCALAR.has(String(schema.type)) ||
  Array.isArray(schema.enum) ||
  schema.const !== undefined ||
  Array.isArray(schema.anyOf) ||
  Array.isArray(schema.oneOf);

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** Every missing, invalid and refused param of `params` against a stage's inputs. */
export function checkParams(inputs: JsonSchema, params: Readonly<Record<string, unknown>>): ParamProblems {
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const spec of paramSpecs(inputs)) {
    if (spec.checkedByStage) continue;
    const value = params[spec.name];
    if (value === undefined) {
      // Absent: the stage's default (or nothing) applies, unless the param is required.
      if (spec.required) missing.push(spec.name);
      continue;
    }
    const parsed = validator(spec.schema)?.safeParse(value);
    if (parsed === undefined || parsed.success) continue;
    if (isSimple(spec.schema)) {
      invalid.push(`${spec.name}: expected ${expectsBare(spec.schema)}, got ${shown(value)}`);
    } else {
      for (const issue of parsed.error.issues) {
        invalid.push(`${[spec.name, ...issue.path.map(String)].join('.')}: ${issue.message}`);
      }
    }
  }
  const declared = new Set(Object.keys(propertiesOf(inputs)));
  const unknown =
    inputs.additionalProperties === false ? Object.keys(params).filter((k) => !declared.has(k)) : [];
  return { missing, invalid, unknown };
}

const range = (schema: JsonSchema, unit = ''): string => {
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum ?? schema.exclusiveMaximum;
  const lo = schema.exclusiveMinimum !== undefined ? `> ${min}` : `≥ ${min}`;
  const hi = schema.exclusiveMaximum !== undefined ? `< ${max}` : `≤ ${max}`;
  if (min !== undefined && max !== undefined) {
    return schema.exclusiveMinimum === undefined && schema.exclusiveMaximum === undefined
      ? ` ${min}–${max}${unit}`
      : ` ${lo}, ${hi}${unit}`;
  }
  if (min !== undefined) return ` ${lo}${unit}`;
  if (max !== undefined) return ` ${hi}${unit}`;
  return '';
};

/** What a schema accepts, in words: `text (1–64 chars)`, `one of linear, mean, none (default linear)`. */
export function expects(schema: JsonSchema): string {
  const text = expectsBare(schema);
  return schema.default === undefined ? text : `${text} (default ${shown(schema.default)})`;
}

function expectsBare(schema: JsonSchema): string {
  if (schema['x-stagecoach-check'] === 'function') return 'checked by the stage';
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => String(v)).join(', ')}`;
  if (schema.const !== undefined) return shown(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    return alternatives
      .filter(isRecord)
      .map((s) => expectsBare(s))
      .join(' or ');
  }
  switch (schema.type) {
    case 'string': {
      const min = typeof schema.minLength === 'number' ? schema.minLength : undefined;
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
      const length =
        min !== undefined && max !== undefined
          ? ` (${min}–${max} chars)`
          : max !== undefined
            ? ` (≤ ${max} chars)`
            : min !== undefined && min > 1
              ? ` (≥ ${min} chars)`
              : min === 1
                ? ' (not empty)'
                : '';
      return `text${length}`;
    }
    case 'integer':
      return `an integer${range(schema)}`;
    case 'number':
      return `a number${range(schema)}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a JSON array';
    case 'object':
      return 'a JSON object';
    default:
      return 'any value';
  }
}
