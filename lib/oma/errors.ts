import { InvalidParamError, type StagecoachErrorOptions, ValidationError } from '../core/errors.js';

/**
 * Errors raised by the OMA engine. Bad measurement data is a {@link ValidationError} (the job fails
 * at once: re-running cannot fix the file); a bad option is an {@link InvalidParamError}.
 */

/** A CSV file that cannot be read as a multichannel measurement; names the line and column. */
export class CsvFormatError extends ValidationError {
  /** 1-based line number in the file, or 0 when the problem is not tied to one line. */
  readonly line: number;
  /** 1-based column (field) number, or 0 when the problem is not tied to one field. */
  readonly column: number;
  constructor(line: number, column: number, problem: string) {
    const where = line > 0 ? (column > 0 ? `line ${line}, column ${column}: ` : `line ${line}: `) : '';
    super(`${where}${problem}`, { code: 'CSV_FORMAT', context: { line, column } });
    this.line = line;
    this.column = column;
  }
}

/** The record is too short (or has too few channels) for the requested analysis. */
export class InsufficientDataError extends ValidationError {
  constructor(message: string) {
    super(message, { code: 'INSUFFICIENT_DATA' });
  }
}

/** A binary dataset that is not in the format `serializeDataset` writes. */
export class DatasetFormatError extends ValidationError {
  constructor(message: string, options: StagecoachErrorOptions = {}) {
    super(message, { ...options, code: 'DATASET_FORMAT' });
  }
}

/** Throws an {@link InvalidParamError} unless `value` is a finite number inside [min, max]. */
export function requireNumberInRange(param: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidParamError(param, `'${param}' must be a number in [${min}, ${max}], got ${value}.`);
  }
  return value;
}

/** Throws an {@link InvalidParamError} unless `value` is an integer inside [min, max]. */
export function requireIntegerInRange(param: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParamError(param, `'${param}' must be an integer in [${min}, ${max}], got ${value}.`);
  }
  return value;
}
