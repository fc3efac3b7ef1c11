import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  InvalidParamError,
  isRetryable,
  NonRetryableError,
  ValidationError,
} from '../../../../lib/core/ports/index.js';
import {
  ConvergenceError,
  CsvFormatError,
  DatasetFormatError,
  InsufficientDataError,
  InvalidOptionError,
  NonFiniteSampleError,
  OmaCancelledError,
} from '../../../../lib/oma/index.js';
import { toStageError } from '../../../../lib/pipelines/oma/engine-errors.js';

/** The engine's errors as the framework sees them: what fails a job at once, with which code. */
describe('toStageError', () => {
  it.each([
    ['CSV_FORMAT', new CsvFormatError(40, 4, 'expected 4 columns, found 3')],
    ['DATASET_FORMAT', new DatasetFormatError('the dataset header is truncated')],
    ['INSUFFICIENT_DATA', new InsufficientDataError('the record has no channels')],
    ['NON_FINITE_SAMPLE', new NonFiniteSampleError(1, 1000, Number.NaN)],
  ])(
    '%s is a ValidationError with the same code, message, context and the engine error as cause',
    (code, error) => {
      // Act
      const mapped = toStageError(error);
      // Assess
      expect(mapped).toBeInstanceOf(ValidationError);
      expect(mapped).toMatchObject({ code, message: error.message, context: error.context, cause: error });
      expect(isRetryable(mapped)).toBe(false);
    },
  );

  it('CSV_FORMAT names the file when told what it is called', () => {
    const mapped = toStageError(new CsvFormatError(40, 4, 'expected 4 columns, found 3'), {
      csvSubject: 'The measurement CSV',
    });
    expect(mapped).toMatchObject({
      code: 'CSV_FORMAT',
      message: 'The measurement CSV is not valid: line 40, column 4: expected 4 columns, found 3',
    });
  });

  it('INVALID_OPTION is an InvalidParamError naming the option, with the same message', () => {
    // Prepare
    const error = new InvalidOptionError(
      'fmax',
      'fmax must be in (0, 50] Hz (the Nyquist frequency), got 80',
    );
    // Act
    const mapped = toStageError(error);
    // Assess
    expect(mapped).toBeInstanceOf(InvalidParamError);
    expect(mapped).toMatchObject({
      code: 'INVALID_PARAM',
      param: 'fmax',
      message: error.message,
      cause: error,
    });
    expect(isRetryable(mapped)).toBe(false);
  });

  it('NOT_CONVERGED is a NonRetryableError with code NOT_CONVERGED', () => {
    const error = new ConvergenceError('the eigenvalue problem of M^-½ K M^-½ did not converge');
    const mapped = toStageError(error);
    expect(mapped).toBeInstanceOf(NonRetryableError);
    expect(mapped).toMatchObject({ code: 'NOT_CONVERGED', message: error.message, cause: error });
  });

  it('passes a cancellation and anything that is not an engine error through unchanged', () => {
    // Prepare
    const engineCancel = new OmaCancelledError('stop');
    const frameworkCancel = new CancelledError('aborted');
    const other = new Error('socket hang up');
    // Act, Assess
    expect(toStageError(engineCancel)).toBe(engineCancel);
    expect(toStageError(frameworkCancel)).toBe(frameworkCancel);
    expect(toStageError(other)).toBe(other);
    expect(toStageError('a string')).toBe('a string');
  });
});
