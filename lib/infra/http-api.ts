import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../shells/config.js';
import { DEFAULT_LOG_RETENTION, DEFAULT_REMOVAL_POLICY } from './defaults.js';
import type { Identity } from './identity.js';
import { ServiceFunction } from './service-function.js';

export interface JobsHttpApiProps {
  /** The user pool whose ID tokens the JWT authorizer accepts (audience: its app client). */
  readonly identity: Identity;
  /** The variables every function reads. */
  readonly environment: Readonly<Record<string, string>>;
  /** Steady-state requests per second across the API. @default 50 */
  readonly throttleRatePerSecond?: number;
  /** @default 100 */
  readonly throttleBurst?: number;
  /** Concurrency reserved for the API function. @default none */
  readonly reservedConcurrency?: number;
  /** Browser origins allowed by CORS. @default none (no CORS) */
  readonly corsAllowOrigins?: readonly string[];
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The HTTP API (payload 2.0, `$default` stage so paths carry no stage prefix): `ANY /{proxy+}` to
 * the API function, whose router knows every path of the job API and of the selected services (an
 * unknown path is its 404) — so a service's new route needs no change here. Behind the Cognito JWT
 * authorizer, throttled, with access logs.
 */
export class JobsHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly handler: ServiceFunction;
  readonly authorizer: HttpUserPoolAuthorizer;
  readonly routes: readonly apigw.HttpRoute[];
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JobsHttpApiProps) {
    super(scope, id);
    const retention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    this.handler = new ServiceFunction(this, 'Handler', {
      entry: 'api.ts',
      description: 'Stagecoach HTTP API: submit, inspect and control jobs; holds',
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: { ...props.environment, [ENV.tenantClaim]: props.identity.tenantClaim },
      logRetention: retention,
      removalPolicy,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrency: props.reservedConcurrency }),
    });
    this.authorizer = new HttpUserPoolAuthorizer('Cognito', props.identity.userPool, {
      userPoolClients: [props.identity.client],
    });
    const origins = props.corsAllowOrigins ?? [];
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Stagecoach jobs API',
      createDefaultStage: false,
      ...(origins.length === 0
        ? {}
        : {
            corsPreflight: {
              allowOrigins: [...origins],
              allowMethods: [apigw.CorsHttpMethod.ANY],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            },
          }),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention, removalPolicy });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRatePerSecond ?? 50,
        burstLimit: props.throttleBurst ?? 100,
      },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogs) },
    });
    const integration = new HttpLambdaIntegration('Jobs', this.handler.function, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    this.routes = this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigw.HttpMethod.ANY],
      integration,
      authorizer: this.authorizer,
    });
  }

  /** The base URL: `https://{api-id}.execute-api.{region}.amazonaws.com`. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
