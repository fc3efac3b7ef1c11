import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ConfigError,
  ContractError,
  InvalidParamError,
  isRetryable,
  MissingParamError,
  NonRetryableError,
  NotFoundError,
  RetryableError,
  StagecoachError,
  StageTimeoutError,
  serializeError,
  ValidationError,
} from '../../../../lib/core/ports/index.js';

describe('errors', () => {
  it.each([
    [new MissingParamError('image_id'), 'MISSING_PARAM', false],
    [new InvalidParamError('threshold', 'must be ≤ 1'), 'INVALID_PARAM', false],
    [new NotFoundError('image img_1 not found'), 'NOT_FOUND', false],
    [new ValidationError('bad data'), 'VALIDATION', false],
    [new ContractError('bad contract'), 'CONTRACT', false],
    [new NonRetryableError('stop'), 'NON_RETRYABLE', false],
    [new RetryableError('later', { delayMs: 5_000 }), 'RETRYABLE', true],
    [new StageTimeoutError('s', 100), 'STAGE_TIMEOUT', true],
  ])('%s has code %s and retryable=%s', (error, code, retryable) => {
    expect(error).toBeInstanceOf(StagecoachError);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(isRetryable(error)).toBe(retryable);
    expect(error.name).toBe(error.constructor.name);
  });

  it('treats anything that is not a StagecoachError as retryable', () => {
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true);
    expect(isRetryable('a string')).toBe(true);
  });

  it('keeps the cause and the context', () => {
    const cause = new Error('socket hang up');
    const error = new NotFoundError('gone', { cause, context: { id: 'x' } });
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ id: 'x' });
  });

  it('tells how to fix a missing param', () => {
    expect(new MissingParamError('image_id').message).toMatch(/Pass it in the job's params/);
  });

  it('carries the retry delay hint', () => {
    expect(new RetryableError('429', { delayMs: 1_500 }).delayMs).toBe(1_500);
  });

  it('lists every configuration problem at once', () => {
    const error = new ConfigError('Stage x', ['a is wrong', 'b is wrong']);
    expect(error.message).toBe('Stage x is not valid:\n  - a is wrong\n  - b is wrong');
    expect(error.problems).toEqual(['a is wrong', 'b is wrong']);
  });

  it('serializes any thrown value', () => {
    expect(serializeError(new ValidationError('v'))).toEqual({
      name: 'ValidationError',
      code: 'VALIDATION',
      message: 'v',
      retryable: false,
    });
    expect(serializeError(new TypeError('t'))).toEqual({
      name: 'TypeError',
      code: 'UNHANDLED',
      message: 't',
      retryable: true,
    });
    expect(serializeError(42)).toMatchObject({ message: '42', retryable: true });
    expect(new CancelledError('aborted').reason).toBe('aborted');
  });
});
