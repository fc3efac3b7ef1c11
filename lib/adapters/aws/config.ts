/**
 * Where a deployment's AWS resources are: what the adapters need. The runtimes read it from the
 * environment (lib/shells/config.ts); the dev runtime and the tests build it directly.
 */
export interface AwsConfig {
  readonly region: string;
  /** A local emulator or LocalStack; absent in AWS. */
  readonly endpoint?: string | undefined;
  readonly queuePrefix: string;
  readonly jobsTable: string;
  readonly connectionsTable: string;
  readonly eventBus: string;
  readonly eventSource: string;
  readonly bucket: string;
  /** https://{api-id}.execute-api.{region}.amazonaws.com/{stage}; needed only by functions that push. */
  readonly websocketEndpoint?: string | undefined;
  readonly retentionDays: number;
}
