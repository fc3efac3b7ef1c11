import type { PipelineDescription } from '../client/jobs.js';
import { accepts, type JsonSchema, type ParamProblems, paramSpecs } from '../client/params.js';
import { closest } from '../client/suggest.js';
import { UsageError } from './command-kit.js';

/**
 * Params typed on the command line, checked against a stage's schema before anything is sent:
 * `--param document_id=1` stays text where the schema wants text and `--param top=3` is a number
 * where it wants one; a payload the stage would refuse is a usage error that names every missing
 * and invalid param, and what the stage takes.
 */

function json(text: string): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Each `key=value` typed as its param's schema accepts it: JSON when that fits, else text. */
export function typedParams(
  texts: readonly (readonly [string, string])[] | undefined,
  inputs: JsonSchema | undefined,
): Record<string, unknown> {
  const specs = new Map(inputs === undefined ? [] : paramSpecs(inputs).map((s) => [s.name, s]));
  const out: Record<string, unknown> = {};
  for (const [key, text] of texts ?? []) {
    const parsed = json(text);
    const spec = specs.get(key);
    const candidates = parsed === undefined ? [text] : [parsed.value, text];
    out[key] = (spec === undefined ? undefined : candidates.find((c) => accepts(spec, c))) ?? candidates[0];
  }
  return out;
}

/** The usage error for params a stage refuses: every problem, then what the stage takes. */
export function paramsError(
  heading: string,
  /** Whose params these are, e.g. `stage 'ingest'` or `SSI analyses`. */
  subject: string,
  inputs: JsonSchema,
  problems: ParamProblems,
  given: Readonly<Record<string, unknown>>,
): UsageError {
  const specs = paramSpecs(inputs);
  const names = specs.map((s) => s.name);
  const parts = [
    ...(problems.missing.length > 0 ? [`missing ${problems.missing.join(', ')}`] : []),
    ...problems.invalid,
    ...problems.unknown.map((k) => {
      const near = closest(k, names);
      return `unknown param '${k}'${near === undefined ? '' : ` (did you mean ${near}?)`}`;
    }),
  ];
  const lines = [`${heading}: ${parts.join('; ')}`];
  // A typo of a missing param: say which given key it probably was.
  for (const name of problems.missing) {
    const near = closest(
      name,
      Object.keys(given).filter((k) => !names.includes(k)),
    );
    if (near !== undefined) lines.push(`'${near}' is not a param of ${subject}: did you mean ${name}?`);
  }
  if (specs.length > 0) {
    const width = Math.max(...names.map((n) => n.length));
    lines.push(`the params of ${subject}:`);
    for (const spec of specs) {
      lines.push(`  ${spec.name.padEnd(width)}  ${spec.required ? 'required' : 'optional'}  ${spec.expects}`);
    }
  }
  return new UsageError(lines.join('\n'));
}

export function hasProblems(problems: ParamProblems): boolean {
  return problems.missing.length + problems.invalid.length + problems.unknown.length > 0;
}

/**
 * Keys that no stage from `entry` on reads and no stage before it produces: most likely typos,
 * worth a warning (params are free-form, so not an error).
 */
export function unreadParams(
  pipeline: PipelineDescription,
  entry: string,
  params: Readonly<Record<string, unknown>>,
): string[] {
  const from = pipeline.stages.findIndex((s) => s.name === entry);
  const read = new Set<string>();
  for (const stage of pipeline.stages.slice(Math.max(0, from))) {
    for (const spec of paramSpecs(stage.inputs)) read.add(spec.name);
    for (const output of stage.outputs) read.add(output);
  }
  return Object.keys(params).filter((k) => !read.has(k));
}
