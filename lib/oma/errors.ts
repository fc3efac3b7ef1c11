/**
 * Errors raised by the OMA engine. Every one is an {@link OmaError} with a stable `code`, the
 * context needed to act on it and an optional `cause`. The engine knows nothing of the job
 * framework: a service that runs it decides what each code means for a job (the OMA pipeline
 * does so in lib/pipelines/oma/engine-errors.ts, the CLI in its exit codes).
 *
 * | code              | class                 | meaning                                              |
 * | ----------------- | --------------------- | ---------------------------------------------------- |
 * | INVALID_OPTION    | InvalidOptionError    | an option (or argument) has a value the engine refuses |
 * | CSV_FORMAT        | CsvFormatError        | a CSV file is not a multichannel measurement         |
 * | DATASET_FORMAT    | DatasetFormatError    | a binary dataset is not in the engine's format       |
 * | INSUFFICIENT_DATA | InsufficientDataError | too few samples or channels for the analysis         |
 * | NON_FINITE_SAMPLE | NonFiniteSampleError  | a NaN or ±Infinity in the record                     |
 * | NOT_CONVERGED     | ConvergenceError      | an iterative decomposition did not converge          |
 * | CANCELLED         | OmaCancelledError     | the caller's AbortSignal fired                       |
 */
export type OmaErrorCode =
  | 'INVALID_OPTION'
  | 'CSV_FORMAT'
  | 'DATASET_FORMAT'
  | 'INSUFFICIENT_DATA'
  | 'NON_FINITE_SAMPLE'
  | 'NOT_CONVERGED'
  | 'CANCELLED';

export type OmaErrorContext = Readonly<Record<string, unknown>>;

export interface OmaErrorOptions {
  readonly cause?: unknown;
  readonly context?: OmaErrorContext;
}

/** The root of every error the engine throws. */
export class OmaError extends Error {
  /** Stable, machine-readable identifier. */
  readonly code: OmaErrorCode;
  readonly context: OmaErrorContext;

  constructor(code: OmaErrorCode, message: string, options: OmaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** An option or argument has a value the engine cannot use; `option` names it. */
export class InvalidOptionError extends OmaError {
  readonly option: string;
  constructor(option: string, message: string, options: OmaErrorOptions = {}) {
    super('INVALID_OPTION', message, { ...options, context: { option, ...options.context } });
    this.option = option;
  }
}

/** Most characters of a quoted cell, and of a whole problem, that a CSV error message shows. */
const MAX_CELL_CHARS = 40;
const MAX_PROBLEM_CHARS = 300;

/**
 * A problem as a message may show it, whatever the file held: a quoted cell cut to 40 characters,
 * control characters, U+FFFD (bytes that are not UTF-8) and lone surrogates written as escapes, the
 * whole at most 300 characters. A binary file's "cell" is then a short line of escapes, never raw
 * bytes in a log, a terminal or an analysis record.
 */
export function printableProblem(problem: string): string {
  const cut = problem.replace(
    /'([^']{41,})'/gs,
    (_all, cell: string) => `'${[...cell].slice(0, MAX_CELL_CHARS).join('')}…'`,
  );
  let out = '';
  for (const ch of cut) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xfffd || (code >= 0xd800 && code <= 0xdfff)) out += `\\u{${code.toString(16)}}`;
    else out += ch;
    if (out.length > MAX_PROBLEM_CHARS) return `${out.slice(0, MAX_PROBLEM_CHARS)}…`;
  }
  return out;
}

/** A CSV file that cannot be read as a multichannel measurement; names the line and column. */
export class CsvFormatError extends OmaError {
  /** 1-based line number in the file, or 0 when the problem is not tied to one line. */
  readonly line: number;
  /** 1-based column (field) number, or 0 when the problem is not tied to one field. */
  readonly column: number;
  constructor(line: number, column: number, problem: string) {
    const where = line > 0 ? (column > 0 ? `line ${line}, column ${column}: ` : `line ${line}: `) : '';
    super('CSV_FORMAT', `${where}${printableProblem(problem)}`, { context: { line, column } });
    this.line = line;
    this.column = column;
  }
}

/** The record is too short (or has too few channels) for the requested analysis. */
export class InsufficientDataError extends OmaError {
  constructor(message: string, options: OmaErrorOptions = {}) {
    super('INSUFFICIENT_DATA', message, options);
  }
}

/** A binary dataset that is not in the format `serializeDataset` writes. */
export class DatasetFormatError extends OmaError {
  constructor(message: string, options: OmaErrorOptions = {}) {
    super('DATASET_FORMAT', message, options);
  }
}

/**
 * A sample that is NaN or ±Infinity: every spectrum and correlation it touches becomes NaN, so
 * the analysis would find nothing. Names the channel and sample (both 0-based).
 */
export class NonFiniteSampleError extends OmaError {
  readonly channel: number;
  readonly sample: number;
  constructor(channel: number, sample: number, value: number) {
    super(
      'NON_FINITE_SAMPLE',
      `channel ${channel + 1} (index ${channel}), sample ${sample}: ${value} — the record must hold finite numbers only; remove or interpolate the bad samples (or drop the channel)`,
      { context: { channel, sample } },
    );
    this.channel = channel;
    this.sample = sample;
  }
}

/** An iterative decomposition did not converge (a numerical failure, not bad input). */
export class ConvergenceError extends OmaError {
  constructor(message: string, options: OmaErrorOptions = {}) {
    super('NOT_CONVERGED', message, options);
  }
}

/**
 * The caller's AbortSignal fired with a reason that is not an Error (a string, or nothing). A
 * reason that is an Error is thrown as it is instead (see `throwIfAborted` in control.ts), so a
 * framework that aborts with its own cancellation error gets that error back.
 */
export class OmaCancelledError extends OmaError {
  /** The signal's reason as text. */
  readonly reason: string;
  constructor(reason: string, options: OmaErrorOptions = {}) {
    super('CANCELLED', `Cancelled: ${reason}`, { ...options, context: { reason, ...options.context } });
    this.reason = reason;
  }
}
