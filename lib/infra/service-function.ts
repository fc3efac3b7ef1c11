import { join } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_REMOVAL_POLICY,
  FUNCTION_ARCHITECTURE,
  FUNCTION_BUNDLING,
  FUNCTION_RUNTIME,
  FUNCTIONS_DIR,
  PROJECT_ROOT,
} from './defaults.js';
import { acknowledgeWildcard } from './nag.js';

export interface ServiceFunctionProps {
  /** The entry file in functions/, e.g. `stage.ts`. */
  readonly entry: string;
  /** The exported handler. @default 'handler' */
  readonly handler?: string;
  /** @default no description */
  readonly description?: string;
  /** @default no variables */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Concurrency reserved for the function (a floor and a cap). @default none: the account's unreserved pool */
  readonly reservedConcurrency?: number;
}

/**
 * One Lambda function of the service: bundled from functions/ with the local esbuild (ESM for the Lambda runtime's Node.js,
 * minified, source maps), X-Ray tracing on, its own log group, and its own role that can do nothing
 * but write that log group until grants are added — no managed policies.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry} (${props.handler ?? 'handler'})`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(FUNCTIONS_DIR, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      bundling: FUNCTION_BUNDLING,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.description === undefined ? {} : { description: props.description }),
    });
    acknowledgeWildcard(
      this.role,
      '*',
      'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    );
  }
}
