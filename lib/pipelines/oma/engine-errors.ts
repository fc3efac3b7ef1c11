import { InvalidParamError, NonRetryableError, ValidationError } from '../../core/ports/index.js';
import { InvalidOptionError, OmaError } from '../../oma/index.js';

/**
 * The one place where the OMA engine's errors become the framework's, which decide what happens
 * to the job (docs/oma-service.md). Bad data and bad options fail the job at once — re-running
 * cannot fix the file — and keep the engine's code and message, which the analysis record shows
 * the user; a numerical failure is not retried either. A cancellation is passed on as it is: the
 * runner reads the signal's reason, not the error.
 *
 * | engine code                                                     | framework error                       |
 * | --------------------------------------------------------------- | ------------------------------------- |
 * | CSV_FORMAT, DATASET_FORMAT, INSUFFICIENT_DATA, NON_FINITE_SAMPLE | ValidationError, same code           |
 * | INVALID_OPTION                                                  | InvalidParamError naming the option   |
 * | NOT_CONVERGED                                                   | NonRetryableError, code NOT_CONVERGED |
 * | CANCELLED, and anything that is not an engine error             | unchanged                             |
 */
export interface StageErrorOptions {
  /**
   * What the file a CSV_FORMAT error's line and column refer to is called ("The measurement
   * CSV"); its message then reads "<csvSubject> is not valid: line 40, column 4: …".
   */
  readonly csvSubject?: string;
}

export function toStageError(error: unknown, options: StageErrorOptions = {}): unknown {
  if (!(error instanceof OmaError)) return error;
  const carried = { cause: error, context: error.context };
  switch (error.code) {
    case 'CSV_FORMAT': {
      const message =
        options.csvSubject === undefined
          ? error.message
          : `${options.csvSubject} is not valid: ${error.message}`;
      return new ValidationError(message, { ...carried, code: error.code });
    }
    case 'DATASET_FORMAT':
    case 'INSUFFICIENT_DATA':
    case 'NON_FINITE_SAMPLE':
      return new ValidationError(error.message, { ...carried, code: error.code });
    case 'INVALID_OPTION': {
      const param = error instanceof InvalidOptionError ? error.option : String(error.context.option);
      return new InvalidParamError(param, error.message, carried);
    }
    case 'NOT_CONVERGED':
      return new NonRetryableError(error.message, { ...carried, code: error.code });
    case 'CANCELLED':
      return error;
  }
}
