import { InvalidParamError, MissingParamError, NotFoundError } from '../ports/errors.js';
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

/** The param is the key of an object that exists in the job's storage; yields the key. */
export const blobKey = (noun = 'Object'): Validator<string> =>
  lookup(noun, async (key, ctx) => ((await ctx.storage.head(key)) === undefined ? undefined : key));
