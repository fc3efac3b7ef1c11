/**
 * Environment variables the entry points read besides the common ones in
 * `lib/adapters/aws/config.ts` (ENV). Each is read by exactly the files named here; the CDK app
 * sets them from these constants so a rename happens in one place.
 */
export const FUNCTION_ENV = {
  /** functions/stage.ts: which stage this function runs. */
  pipeline: 'STAGECOACH_PIPELINE',
  stage: 'STAGECOACH_STAGE',
  /** functions/api.ts and functions/ws-authorizer.ts: the JWT claim that holds the tenant. */
  tenantClaim: 'STAGECOACH_TENANT_CLAIM',
  /** functions/ws-authorizer.ts: the Cognito user pool and app client the tokens come from. */
  userPoolId: 'STAGECOACH_USER_POOL_ID',
  userPoolClientId: 'STAGECOACH_USER_POOL_CLIENT_ID',
  /** functions/worker.ts: the stages a Fargate service runs ("pipeline/stage,..."). */
  workerStages: 'STAGECOACH_STAGES',
  workerConcurrency: 'STAGECOACH_CONCURRENCY',
  workerStopTimeoutMs: 'STAGECOACH_STOP_TIMEOUT_MS',
  /** Powertools for AWS Lambda: the lowest level logged. */
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** The Cognito custom attribute that holds a user's tenant, and the claim it becomes. */
export const TENANT_ATTRIBUTE = 'tenant_id';
export const TENANT_CLAIM = `custom:${TENANT_ATTRIBUTE}`;
