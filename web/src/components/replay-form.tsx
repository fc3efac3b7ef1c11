import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { ApiError } from '../../../lib/client/http.js';
import type { Job, PipelineDescription } from '../../../lib/client/jobs.js';
import { ErrorBox, useConsole } from '../ui.js';

/**
 * Replay from a chosen stage, with params edited in a form built from that stage's inputs (JSON
 * Schema, as GET /pipelines gives it) and checked against it before sending; the API checks again
 * with the stage's own schemas, and its answer (400 INVALID_PARAMS with the missing and invalid
 * params named) is shown as it is.
 */

type Schema = Readonly<Record<string, unknown>>;

const asSchema = (value: unknown): Schema =>
  typeof value === 'object' && value !== null ? (value as Schema) : {};

interface Field {
  readonly name: string;
  readonly schema: Schema;
  readonly required: boolean;
  /** text, number, integer, boolean, enum, or json for everything else. */
  readonly kind: 'text' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';
}

export function fieldsOf(inputs: Schema): Field[] {
  const properties = asSchema(inputs.properties);
  const required = Array.isArray(inputs.required) ? inputs.required.map(String) : [];
  return Object.entries(properties).map(([name, raw]) => {
    const schema = asSchema(raw);
    const type = schema.type;
    const kind: Field['kind'] = Array.isArray(schema.enum)
      ? 'enum'
      : type === 'string'
        ? 'text'
        : type === 'number'
          ? 'number'
          : type === 'integer'
            ? 'integer'
            : type === 'boolean'
              ? 'boolean'
              : 'json';
    return { name, schema, required: required.includes(name), kind };
  });
}

const show = (value: unknown, kind: Field['kind']): string =>
  value === undefined
    ? ''
    : kind === 'json' || typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);

/** Parses a field's text; returns [value] or an error message. */
export function parseField(field: Field, text: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return field.required ? { error: 'required' } : {};
  const { schema } = field;
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: 'must be a number' };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { error: 'must be a whole number' };
      if (typeof schema.minimum === 'number' && n < schema.minimum)
        return { error: `must be ≥ ${schema.minimum}` };
      if (typeof schema.maximum === 'number' && n > schema.maximum)
        return { error: `must be ≤ ${schema.maximum}` };
      return { value: n };
    }
    case 'boolean':
      return { value: text === 'true' };
    case 'enum':
      return Array.isArray(schema.enum) && schema.enum.map(String).includes(text)
        ? { value: schema.enum.find((v) => String(v) === text) }
        : { error: 'choose one of the values' };
    case 'text':
      if (typeof schema.minLength === 'number' && text.length < schema.minLength)
        return { error: `must be at least ${schema.minLength} characters` };
      return { value: text };
    default:
      try {
        return { value: JSON.parse(text) };
      } catch {
        // A look-up param (checked only by its stage) or a free value: plain text is a string.
        return field.schema['x-stagecoach-check'] === 'function'
          ? { value: text }
          : { error: 'must be JSON' };
      }
  }
}

export function ReplayForm(props: {
  job: Job;
  pipeline: PipelineDescription | undefined;
  onDone: (job: Job) => void;
}): JSX.Element {
  const { session } = useConsole();
  const stages = props.pipeline?.stages ?? [];
  const exit = stages.findIndex((s) => s.name === props.job.exit_stage);
  const choices = exit < 0 ? stages : stages.slice(0, exit + 1);
  const [from, setFrom] = useState(props.job.stage);
  const stage = choices.find((s) => s.name === from);
  const fields = useMemo(() => fieldsOf(asSchema(stage?.inputs)), [stage]);
  const initial = (field: Field): string => show(props.job.params[field.name], field.kind);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const problems: Record<string, string> = {};
    const params: Record<string, unknown> = {};
    for (const field of fields) {
      const text = texts[field.name] ?? initial(field);
      const parsed = parseField(field, text);
      if (parsed.error !== undefined) problems[field.name] = parsed.error;
      else if (text !== initial(field) && 'value' in parsed) params[field.name] = parsed.value;
    }
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    setError(undefined);
    try {
      const job = await session.jobs.replay(props.job.job_id, {
        from_stage: from,
        ...(Object.keys(params).length > 0 ? { params } : {}),
      });
      props.onDone(job);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && typeof e.details === 'object' && e.details !== null) {
        const missing = Reflect.get(e.details, 'missing');
        if (Array.isArray(missing))
          setErrors(Object.fromEntries(missing.map((m) => [String(m), 'required'])));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="replay" aria-label="Replay" onSubmit={(e) => void submit(e)}>
      <label>
        Replay from stage
        <select
          value={from}
          onChange={(e) => {
            setFrom(e.currentTarget.value);
            setTexts({});
            setErrors({});
          }}
        >
          {choices.map((s) => (
            <option key={s.name}>{s.name}</option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Params of stage {from} (changed values override the job's)</legend>
        {fields.length === 0 ? <p class="hint">This stage declares no inputs.</p> : null}
        {fields.map((field) => {
          const id = `param-${field.name}`;
          const value = texts[field.name] ?? initial(field);
          const onInput = (text: string): void => setTexts((t) => ({ ...t, [field.name]: text }));
          const describedBy = errors[field.name] === undefined ? undefined : `${id}-error`;
          return (
            <div class="field" key={field.name}>
              <label for={id}>
                {field.name}
                {field.required ? ' *' : ''}
                {field.schema['x-stagecoach-check'] === 'function' ? ' (checked by the stage)' : ''}
              </label>
              {field.kind === 'boolean' ? (
                <select id={id} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
                  <option value="">–</option>
                  <option>true</option>
                  <option>false</option>
                </select>
              ) : field.kind === 'enum' && Array.isArray(field.schema.enum) ? (
                <select id={id} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
                  {field.schema.enum.map((v) => (
                    <option key={String(v)}>{String(v)}</option>
                  ))}
                </select>
              ) : (
                <input
                  id={id}
                  name={field.name}
                  value={value}
                  inputMode={field.kind === 'number' || field.kind === 'integer' ? 'decimal' : undefined}
                  aria-invalid={errors[field.name] !== undefined}
                  aria-describedby={describedBy}
                  onInput={(e) => onInput(e.currentTarget.value)}
                />
              )}
              {errors[field.name] === undefined ? null : (
                <span id={`${id}-error`} class="field-error">
                  {field.name}: {errors[field.name]}
                </span>
              )}
            </div>
          );
        })}
      </fieldset>
      <button type="submit" class="primary" disabled={busy}>
        Replay from {from}
      </button>
      <ErrorBox error={error} title="Replay refused" />
    </form>
  );
}
