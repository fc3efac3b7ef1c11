import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv1 from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../shells/config.js';
import { DEFAULT_LOG_RETENTION, DEFAULT_REMOVAL_POLICY } from './defaults.js';
import type { Identity } from './identity.js';
import { acknowledge, acknowledgeWildcard } from './nag.js';
import { ServiceFunction } from './service-function.js';

export interface LiveWebSocketApiProps {
  /** The user pool whose ID tokens the $connect authorizer accepts (`?token=`). */
  readonly identity: Identity;
  /** The variables every function reads. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 'live' */
  readonly stageName?: string;
  /** Concurrency reserved for each route function ($connect, $disconnect, $default). @default none */
  readonly reservedConcurrency?: number;
  /** @default 50 */
  readonly throttleRatePerSecond?: number;
  /** @default 100 */
  readonly throttleBurst?: number;
  /**
   * Creates the account-wide role API Gateway writes WebSocket logs with (one per account and
   * region; WebSocket access logs need it). @default true
   */
  readonly manageAccountLogRole?: boolean;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The WebSocket API browsers and CLIs watch jobs through: a Lambda REQUEST authorizer on $connect
 * (the Cognito ID token as `?token=`), $connect / $disconnect / $default routes to
 * functions/websocket.ts, a throttled stage with access logs. `endpoint` is the Management API
 * URL the functions push with; it is built from the API id and stage name, not the stage resource,
 * so functions that need it never depend on the routes that invoke them.
 */
export class LiveWebSocketApi extends Construct {
  readonly api: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;
  readonly authorizerHandler: ServiceFunction;
  readonly connectHandler: ServiceFunction;
  readonly disconnectHandler: ServiceFunction;
  readonly messageHandler: ServiceFunction;
  readonly accessLogs: logs.LogGroup;
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` (STAGECOACH_WS_ENDPOINT). */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: LiveWebSocketApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stageName = props.stageName ?? 'live';
    const retention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const fn = (
      fnId: string,
      options: { entry: string; handler: string; description: string; env: Record<string, string> },
    ) =>
      new ServiceFunction(this, fnId, {
        entry: options.entry,
        handler: options.handler,
        description: options.description,
        timeout: Duration.seconds(29),
        environment: options.env,
        logRetention: retention,
        removalPolicy,
        ...(props.reservedConcurrency === undefined || options.entry !== 'websocket.ts'
          ? {}
          : { reservedConcurrency: props.reservedConcurrency }),
      });

    this.authorizerHandler = fn('Authorizer', {
      entry: 'ws-authorizer.ts',
      handler: 'handler',
      description: 'Stagecoach WebSocket $connect authorizer (Cognito ID token)',
      env: {
        [ENV.userPoolId]: props.identity.userPool.userPoolId,
        [ENV.userPoolClientId]: props.identity.client.userPoolClientId,
        [ENV.tenantClaim]: props.identity.tenantClaim,
        ...pick(props.environment, ENV.logLevel),
      },
    });

    this.api = new apigw.WebSocketApi(this, 'Api', { description: 'Stagecoach live job events' });
    this.endpoint = `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`;
    const env = { ...props.environment, [ENV.websocketEndpoint]: this.endpoint };
    this.connectHandler = fn('Connect', {
      entry: 'websocket.ts',
      handler: 'connect',
      description: 'Stagecoach WebSocket $connect',
      env,
    });
    this.disconnectHandler = fn('Disconnect', {
      entry: 'websocket.ts',
      handler: 'disconnect',
      description: 'Stagecoach WebSocket $disconnect',
      env,
    });
    this.messageHandler = fn('Message', {
      entry: 'websocket.ts',
      handler: 'message',
      description: 'Stagecoach WebSocket $default: subscribe, unsubscribe, ping',
      env,
    });

    const authorizer = new WebSocketLambdaAuthorizer('Token', this.authorizerHandler.function, {
      identitySource: ['route.request.querystring.token'],
    });
    this.api.addRoute('$connect', {
      integration: new WebSocketLambdaIntegration('Connect', this.connectHandler.function),
      authorizer,
    });
    this.api.addRoute('$disconnect', {
      integration: new WebSocketLambdaIntegration('Disconnect', this.disconnectHandler.function),
    });
    this.api.addRoute('$default', {
      integration: new WebSocketLambdaIntegration('Message', this.messageHandler.function),
    });
    acknowledge(
      this.api,
      'APIG4',
      'A WebSocket API authorizes once, on $connect (Lambda authorizer); $disconnect and $default run on that authorized connection and cannot carry an authorizer.',
    );

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention, removalPolicy });
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRatePerSecond ?? 50, burstLimit: props.throttleBurst ?? 100 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogs) },
    });
    if (props.manageAccountLogRole ?? true) {
      const account = new apigwv1.CfnAccount(this, 'LogRoleSetting', {
        cloudWatchRoleArn: this.#accountLogRole().roleArn,
      });
      // The setting is account-wide: leave it in place when this stack goes.
      account.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.stage.node.addDependency(account);
    }
  }

  /** Lets `grantee` push to this API's connections (POST @connections/{id}) and nothing else. */
  grantManageConnections(grantee: iam.IGrantable & IConstruct): void {
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.api.apiId,
      resourceName: `${this.stage.stageName}/POST/@connections/*`,
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: [connections],
    });
    acknowledgeWildcard(
      grantee,
      connections,
      'Connection ids are assigned at run time; the grant covers POST to the @connections of this API stage only.',
    );
  }

  /** Every function behind the API's routes (they share the same permissions). */
  get routeHandlers(): readonly ServiceFunction[] {
    return [this.connectHandler, this.disconnectHandler, this.messageHandler];
  }

  #accountLogRole(): iam.Role {
    const role = new iam.Role(this, 'AccountLogRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes execution and access logs with this role (account setting)',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(
      role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-wide API Gateway logging role writes to log groups of every API in the account and region; AWS maintains its managed policy for exactly that.',
    );
    return role;
  }
}

function pick(env: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const value = env[key];
  return value === undefined ? {} : { [key]: value };
}
