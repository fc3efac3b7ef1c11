import { NonRetryableError, type StagecoachErrorOptions, ValidationError } from '../core/ports/index.js';

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

/**
 * A sample that is NaN or ±Infinity: every spectrum and correlation it touches becomes NaN, so
 * the analysis would find nothing. Names the channel and sample (both 0-based).
 */
export class NonFiniteSampleError extends ValidationError {
  readonly channel: number;
  readonly sample: number;
  constructor(channel: number, sample: number, value: number) {
    super(
      `channel ${channel + 1} (index ${channel}), sample ${sample}: ${value} — the record must hold finite numbers only; remove or interpolate the bad samples (or drop the channel)`,
      { code: 'NON_FINITE_SAMPLE', context: { channel, sample } },
    );
    this.channel = channel;
    this.sample = sample;
  }
}

/** An iterative decomposition did not converge (a numerical failure, not bad input). */
export class ConvergenceError extends NonRetryableError {
  constructor(message: string) {
    super(message, { code: 'NOT_CONVERGED' });
  }
}
