import { z } from 'zod';
import { InvalidParamError, MissingParamError, NotFoundError } from '../ports/errors.js';
import { printable } from '../ports/printable.js';
import type { Validator, ValidatorContext } from './stage.js';

/** Present, and not an empty (or blank) string. Returns the value unchanged. */
export const required = (value: unknown, ctx: Pick<ValidatorContext, 'param'>): NonNullable<unknown> => {
  if (value === undefined || value === null) throw new MissingParamError(ctx.param);
  if (typeof value === 'string' && value.trim().length === 0) {
    throw new MissingParamError(ctx.param, `Required parameter '${ctx.param}' is an empty string.`);
  }
  return value;
};

/** A non-empty string. */
export const requiredString = (value: unknown, ctx: Pick<ValidatorContext, 'param'>): string => {
  const present = required(value, ctx);
  if (typeof present !== 'string') {
    throw new InvalidParamError(ctx.param, `must be a string (got ${typeof present})`);
  }
  return present;
};

/** Applies `validator` when the param is present; otherwise yields `fallback`. */
export function optional<T>(validator: Validator<T>, fallback: T): Validator<T>;
export function optional<T>(validator: Validator<T>): Validator<T | undefined>;
export function optional<T>(validator: Validator<T>, fallback?: T): Validator<T | undefined> {
  return (value, ctx) => (value === undefined || value === null ? fallback : validator(value, ctx));
}

/**
 * Looks the param's value up (a record in a database, an object in storage) and passes what was
 * found to process(). Absent → NotFoundError (non-retryable); a failing look-up is retried.
 * Written inline in a stage's inputs, give the found type explicitly — `lookup<Image>('Image', find)`
 * — as TypeScript does not infer a generic call nested in a config whose process() it is still typing.
 */
export function lookup<T>(
  noun: string,
  find: (id: string, ctx: ValidatorContext) => Promise<T | undefined | null> | T | undefined | null,
): Validator<T> {
  return async (value, ctx) => {
    const id = requiredString(value, ctx);
    const found = await find(id, ctx);
    if (found === undefined || found === null) {
      throw new NotFoundError(`${noun} '${id}' (param '${ctx.param}') was not found.`, {
        context: { param: ctx.param, id },
      });
    }
    return found;
  };
}

/** The param is the key of an object that exists in the job's storage; yields the key. See {@link blobRef}. */
export const blobKey = (noun = 'Object'): Validator<string> => blobRef({ noun });

// ---------------------------------------------------------------------------------------------
// References to stored objects.
// ---------------------------------------------------------------------------------------------

/** A validator whose value also has a static shape, checked by the API before a job is created. */
export interface CheckedValidator<T> extends Validator<T> {
  /** What the value must look like, whatever it refers to (JSON Schema for clients, 400 at submit). */
  readonly schema: z.ZodType<string | undefined>;
  /** What kind of check the function adds (`x-stagecoach-check` in the stage's JSON Schema). */
  readonly check: string;
}

export function isCheckedValidator(value: unknown): value is CheckedValidator<unknown> {
  return typeof value === 'function' && 'schema' in value && value.schema instanceof z.ZodType;
}

/** A segment of a key in a tenant's storage: not `.` or `..`, no `/`, `\`, `%` or control character. */
const SEGMENT = String.raw`(?!\.\.?(?:/|$))[^/\\%\x00-\x1f\x7f]+`;

/**
 * The shape of a reference to an object in the job's tenant's storage: a relative key (no leading
 * `/`, no `.` or `..` segment, no backslash, no percent-escape, no control character), 1-1024
 * characters. It is relative to the tenant's prefix, so it cannot name another tenant's object.
 */
export const BlobRefSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(
    new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`),
    "must be a key in the tenant's storage, such as 'documents/report.txt': '/'-separated names, no leading '/', no '.' or '..' names, no '\\\\', '%' or control characters",
  );

export interface BlobRefOptions {
  /** What the object is, in messages ("Document"). @default 'Object' */
  readonly noun?: string;
  /**
   * The key must start with this ('documents/'); a function when it depends on the job (the
   * tenant's folder of a service, the params). A key elsewhere is "not found".
   */
  readonly under?: string | ((ctx: ValidatorContext) => string);
  /** The object must exist when the stage runs. @default true */
  readonly mustExist?: boolean;
  /**
   * How an absent param fails: `missing` (a MissingParamError; the API refuses the submit), or
   * `not-found` (the job runs and fails at once with the notFound message — for a reference a
   * service fills in when there is something to refer to). @default 'missing'
   */
  readonly absent?: 'missing' | 'not-found';
  /** The message when the reference does not resolve; `key` is undefined when it is not one. */
  readonly notFound?: (ctx: ValidatorContext, key: string | undefined) => string;
}

/**
 * A param that refers to an object in the job's tenant's storage (`ctx.storage`), typed: the API
 * refuses a value that cannot be such a key (400 at submit and replay, nothing created), and when
 * the stage runs, a reference that does not resolve — absent, malformed, outside `under`, or aimed
 * outside the tenant (`../`, `/abs`, `%2e%2e`) — fails the job at once with one NotFoundError that
 * says the same in every case, so no answer tells whether an object exists elsewhere. Yields the key.
 */
export function blobRef(options: BlobRefOptions = {}): CheckedValidator<string> {
  const noun = options.noun ?? 'Object';
  const mustExist = options.mustExist ?? true;
  const notFound = (ctx: ValidatorContext, key: string | undefined): NotFoundError =>
    new NotFoundError(
      options.notFound?.(ctx, key) ??
        (key === undefined && ctx.params[ctx.param] === undefined
          ? `${noun} (param '${ctx.param}') was not found in storage.`
          : `${noun} '${printable(key ?? String(ctx.params[ctx.param]), 120)}' (param '${ctx.param}') was not found in storage.`),
      { context: { param: ctx.param } },
    );
  const absentIsMissing = (options.absent ?? 'missing') === 'missing';
  const validator: Validator<string> = async (value, ctx) => {
    if (value === undefined || value === null || value === '') {
      throw absentIsMissing ? new MissingParamError(ctx.param) : notFound(ctx, undefined);
    }
    const parsed = BlobRefSchema.safeParse(value);
    if (!parsed.success) throw notFound(ctx, undefined);
    const key = parsed.data;
    const under = typeof options.under === 'function' ? options.under(ctx) : options.under;
    if (under !== undefined && !key.startsWith(under)) throw notFound(ctx, key);
    if (mustExist && (await ctx.storage.head(key)) === undefined) throw notFound(ctx, key);
    return key;
  };
  return Object.assign(validator, {
    schema: absentIsMissing ? BlobRefSchema : BlobRefSchema.optional(),
    check: 'blob-ref',
  });
}
