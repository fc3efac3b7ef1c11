/**
 * Every error Stagecoach raises extends {@link StagecoachError}: it carries a stable `code`, the
 * context needed to act on it, an optional `cause`, and whether retrying can help. Retry decisions
 * read `retryable`; anything that is not a StagecoachError is treated as retryable.
 */
export type ErrorContext = Readonly<Record<string, unknown>>;

export interface StagecoachErrorOptions {
  readonly cause?: unknown;
  readonly context?: ErrorContext;
}

export class StagecoachError extends Error {
  /** Stable, machine-readable identifier (SCREAMING_SNAKE_CASE). */
  readonly code: string;
  /** Whether running the same work again may succeed. */
  readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, message: string, retryable: boolean, options: StagecoachErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    this.context = options.context ?? {};
  }

  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** The shape an error takes when it is stored in job state, events and dead letters. */
export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

// ---------------------------------------------------------------------------------------------
// Non-retryable: the input or the contract is wrong, and running again would fail the same way.
// ---------------------------------------------------------------------------------------------

/** A non-retryable error; user code may throw it directly to fail a job at once. */
export class NonRetryableError extends StagecoachError {
  constructor(message: string, options: StagecoachErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'NON_RETRYABLE', message, false, options);
  }
}

/** A required parameter is absent (or an empty string). */
export class MissingParamError extends StagecoachError {
  readonly param: string;
  constructor(param: string, message?: string, options: StagecoachErrorOptions = {}) {
    super(
      'MISSING_PARAM',
      message ??
        `Required parameter '${param}' is missing. Pass it in the job's params when you submit the job, or return it from an earlier stage.`,
      false,
      { ...options, context: { param, ...options.context } },
    );
    this.param = param;
  }
}

/** A parameter is present but its value is not acceptable. */
export class InvalidParamError extends StagecoachError {
  readonly param: string;
  constructor(param: string, message: string, options: StagecoachErrorOptions = {}) {
    super('INVALID_PARAM', message, false, { ...options, context: { param, ...options.context } });
    this.param = param;
  }
}

/** Something a parameter refers to does not exist. */
export class NotFoundError extends StagecoachError {
  constructor(message: string, options: StagecoachErrorOptions = {}) {
    super('NOT_FOUND', message, false, options);
  }
}

/** Input data fails a rule of the domain (for example a malformed measurement file). */
export class ValidationError extends StagecoachError {
  constructor(message: string, options: StagecoachErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'VALIDATION', message, false, options);
  }
}

/** The job contract itself is broken: malformed envelope, too large, wrong stage, output mismatch. */
export class ContractError extends StagecoachError {
  constructor(message: string, options: StagecoachErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'CONTRACT', message, false, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Retryable: the failure is transient.
// ---------------------------------------------------------------------------------------------

/** Thrown by a stage to ask for a retry, optionally after a given delay. */
export class RetryableError extends StagecoachError {
  /** Overrides the stage's backoff for the next attempt when set. */
  readonly delayMs: number | undefined;
  constructor(message: string, options: StagecoachErrorOptions & { delayMs?: number } = {}) {
    super('RETRYABLE', message, true, options);
    this.delayMs = options.delayMs;
  }
}

/** The stage ran past its timeout. */
export class StageTimeoutError extends StagecoachError {
  constructor(stage: string, timeoutMs: number) {
    super(
      'STAGE_TIMEOUT',
      `Stage '${stage}' did not finish within its ${timeoutMs} ms timeout. Raise the stage's timeoutMs or make process() honour ctx.signal sooner.`,
      true,
      { context: { stage, timeoutMs } },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Framework errors: configuration, state and API misuse.
// ---------------------------------------------------------------------------------------------

/** A stage, pipeline or runtime is configured wrongly. Lists every problem at once. */
export class ConfigError extends StagecoachError {
  readonly problems: readonly string[];
  constructor(subject: string, problems: readonly string[]) {
    super('CONFIG', `${subject} is not valid:\n  - ${problems.join('\n  - ')}`, false, {
      context: { problems },
    });
    this.problems = problems;
  }
}

/** A job does not exist (or belongs to another tenant, which callers must not be able to tell). */
export class JobNotFoundError extends StagecoachError {
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `Job '${jobId}' was not found.`, false, { context: { jobId } });
  }
}

/** A job with this id already exists (create is conditional on absence). */
export class JobExistsError extends StagecoachError {
  constructor(jobId: string) {
    super('JOB_EXISTS', `Job '${jobId}' already exists.`, false, { context: { jobId } });
  }
}

/** A record write's condition (absent, or at a version) does not hold. */
export class RecordConflictError extends StagecoachError {
  constructor(collection: string, id: string, expected: string) {
    super(
      'RECORD_CONFLICT',
      `Record '${id}' in '${collection}' changed meanwhile (expected ${expected}); read it again and retry.`,
      true,
      {
        context: { collection, id, expected },
      },
    );
  }
}

/** A requested control action does not apply to the job's current status. */
export class InvalidTransitionError extends StagecoachError {
  constructor(jobId: string, action: string, status: string, hint: string) {
    super('INVALID_TRANSITION', `Cannot ${action} job '${jobId}' while it is ${status}. ${hint}`, false, {
      context: { jobId, action, status },
    });
  }
}

/** An adapter could not reach its backing service; the operation may succeed later. */
export class BackendUnavailableError extends StagecoachError {
  constructor(service: string, message: string, options: StagecoachErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', `${service}: ${message}`, true, {
      ...options,
      context: { service, ...options.context },
    });
  }
}

/** A tenant went over one of its limits; it may try again after `retryAfterS` seconds (HTTP 429). */
export class RateLimitedError extends StagecoachError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number, options: StagecoachErrorOptions = {}) {
    super('RATE_LIMITED', message, true, {
      ...options,
      context: { ...options.context, details: { retry_after_s: retryAfterS } },
    });
    this.retryAfterS = retryAfterS;
  }
}

/** A queue does not exist (create it first). */
export class QueueNotFoundError extends StagecoachError {
  constructor(queue: string) {
    super('QUEUE_NOT_FOUND', `Queue '${queue}' does not exist; create it with ensureQueue first.`, false, {
      context: { queue },
    });
  }
}

/** A receipt handle no longer names a message in flight. */
export class ReceiptHandleError extends StagecoachError {
  constructor(queue: string) {
    super(
      'RECEIPT_INVALID',
      `The receipt handle is not that of a message in flight on '${queue}' (deleted, or received again since).`,
      false,
      { context: { queue } },
    );
  }
}

/** The work was cancelled through its AbortSignal (abort, pause, timeout or shutdown). */
export class CancelledError extends StagecoachError {
  readonly reason: string;
  constructor(reason: string, message?: string) {
    super('CANCELLED', message ?? `Cancelled: ${reason}`, false, { context: { reason } });
    this.reason = reason;
  }
}

/** Whether a failure may succeed on a retry: StagecoachErrors say so; anything else is transient. */
export function isRetryable(error: unknown): boolean {
  return error instanceof StagecoachError ? error.retryable : true;
}

/** A stable, storable description of any thrown value. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof StagecoachError) return error.toJSON();
  if (error instanceof Error) {
    return { name: error.name, code: 'UNHANDLED', message: error.message, retryable: true };
  }
  return { name: 'Error', code: 'UNHANDLED', message: String(error), retryable: true };
}
