import { BackendUnavailableError, ConfigError, StagecoachError } from '../../core/ports/index.js';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'OverLimit',
  'LimitExceededException',
  'TransactionConflictException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'TimeoutError']);

function errorName(error: unknown): string {
  if (error instanceof Error) return (error as Error & { code?: string }).code ?? error.name;
  return 'Unknown';
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/**
 * Turns an SDK error into a domain error so the core never sees one: throttling, server and
 * network faults become retryable BackendUnavailableErrors; missing resources and denied access
 * become non-retryable configuration errors that say what to check.
 */
export function translateAwsError(service: string, operation: string, error: unknown): StagecoachError {
  if (error instanceof StagecoachError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  if (THROTTLING.has(name) || NETWORK.has(name) || (status !== undefined && status >= 500)) {
    return new BackendUnavailableError(service, `${operation} failed (${name}): ${message}`, {
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || name === 'NoSuchBucket') {
    return new ConfigError(`${service} ${operation}`, [
      `a resource does not exist (${name}: ${message}); check the STAGECOACH_* environment variables and that the stack is deployed`,
    ]);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || status === 403) {
    return new ConfigError(`${service} ${operation}`, [
      `access was denied (${name}: ${message}); the function's IAM role lacks a permission`,
    ]);
  }
  return new StagecoachError('AWS_ERROR', `${service} ${operation} failed (${name}): ${message}`, true, {
    cause: error,
    context: { service, operation, name },
  });
}

/** Runs an SDK call, translating what escapes the SDK's own retries. */
export async function call<T>(service: string, operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translateAwsError(service, operation, error);
  }
}
