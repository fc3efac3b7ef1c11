/**
 * Public list prices, us-east-1, on-demand, free tiers ignored. DynamoDB's on-demand prices are
 * those in force since November 2024. docs/cost.md repeats them with the arithmetic.
 */
export const PRICE = {
  sqsRequest: 0.4 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Per GB-second, by architecture (the first 6 billion GB-seconds a month). */
  lambdaGbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
  /** HTTP API: per request (512 KB chunks), the first 300 million a month. */
  httpApiRequest: 1.0 / 1e6,
  /** WebSocket API: per message (32 KB chunks) and per connection-minute. */
  webSocketMessage: 1.0 / 1e6,
  webSocketConnectionMinute: 0.25 / 1e6,
  /** EventBridge archive: per GB archived, and per GB-month stored. */
  archiveGbProcessed: 0.1,
  archiveGbMonth: 0.023,
  /** Step Functions Standard: per state transition. */
  stepFunctionsTransition: 25.0 / 1e6,
  /** Step Functions Express: per request, per GB-second (the first 1,000 hours; 64 MB, 100 ms steps). */
  stepFunctionsExpressRequest: 1.0 / 1e6,
  stepFunctionsExpressGbSecond: 0.00001667,
} as const;
