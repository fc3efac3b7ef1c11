import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobsTableDefinition, TENANT_REGISTRY } from '../../lib/adapters/aws/tables.js';
import { Topology } from '../../lib/core/engine/index.js';
import { LambdaStage } from '../../lib/infra/lambda-stage.js';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { registry } from '../../lib/pipelines/registry.js';
import { ENV } from '../../lib/shells/config.js';
import { configOf, fastApp, logicalId, permissionsOf, queueNames, queuesAllowed } from './support.js';

const config = configOf('dev');
const pipelines = registry.select(config.services).flatMap((s) => s.pipelines);
const topology = new Topology(pipelines, config.queuePrefix);
const stageQueues = topology.all();
const allLanes = stageQueues.flatMap((q) => q.lanes).sort();
const allDlqs = stageQueues.map((q) => q.dlq).sort();
const kindOf = (pipeline: string, stage: string) =>
  topology.pipelines.get(pipeline)?.stages.find((s) => s.name === stage)?.compute.kind;

describe('StagecoachStack (the deployed pipelines)', () => {
  let stack: StagecoachStack;
  let template: Template;

  beforeAll(() => {
    // Prepare
    stack = new StagecoachStack(fastApp(), 'Stagecoach-test', { environmentName: 'test', config });

    // Act
    template = Template.fromStack(stack);
  });

  const roleOf = (key: string): string => {
    const deployed = stack.stages.get(key);
    if (deployed === undefined) throw new Error(`no stage ${key}`);
    return logicalId(deployed.runnerRole);
  };

  describe('stages', () => {
    it('has one queue per lane, one DLQ and one consumer per stage of every pipeline', () => {
      expect(stageQueues.length).toBeGreaterThan(1);
      // besides the stages' queues: where undeliverable bus events, failed tasks and alarms wait
      const operations = [
        'alarm-inbox',
        'task-failures',
        'undelivered-fanout',
        'undelivered-listeners',
        'undelivered-sweep',
        'undelivered-task-failures',
      ].map((name) => `${config.queuePrefix}${name}`);
      expect([...queueNames(template).values()].sort()).toEqual(
        [...allLanes, ...allDlqs, ...operations].sort(),
      );
      for (const q of stageQueues) {
        if (kindOf(q.pipeline, q.stage) === 'lambda') {
          template.hasResourceProperties('AWS::Lambda::Function', {
            Environment: {
              Variables: Match.objectLike({ STAGECOACH_PIPELINE: q.pipeline, STAGECOACH_STAGE: q.stage }),
            },
          });
        } else {
          template.hasResourceProperties('AWS::ECS::TaskDefinition', {
            ContainerDefinitions: [
              Match.objectLike({
                Environment: Match.arrayWith([
                  { Name: 'STAGECOACH_STAGES', Value: `${q.pipeline}/${q.stage}` },
                ]),
              }),
            ],
          });
        }
      }
      // a mapping per Lambda stage lane and per DLQ (the dead-letter handler)
      const lambdaLanes = stageQueues
        .filter((q) => kindOf(q.pipeline, q.stage) === 'lambda')
        .flatMap((q) => q.lanes);
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', lambdaLanes.length + allDlqs.length);
    });

    it("gives every stage runner its job's tenant session and no object of its own: exactly these grants", () => {
      // Prepare
      const session = logicalId(stack.tenantAccess.role);
      const jobs = logicalId(stack.state.jobsTable);
      const table = [
        jobs,
        `${jobs}/index/by-tenant`,
        `${jobs}/index/by-tenant-status`,
        `${jobs}/index/holds`,
      ];
      const trust = template.findResources('AWS::IAM::Role')[session]?.Properties.AssumeRolePolicyDocument;
      const admitted = JSON.stringify(trust?.Statement?.[1]);

      for (const [key, deployed] of stack.stages) {
        // Act
        const role = logicalId(deployed.runnerRole);
        const allowed = permissionsOf(template, role);
        const services = [...new Set([...allowed.keys()].map((action) => action.split(':')[0]))].sort();
        const [pipeline = '', stage = ''] = key.split('/');

        // Assess: queues, job state (every tenant's: a message names its tenant in its body),
        // events, the tenant session — and no bucket at all.
        expect(services, key).toEqual(
          kindOf(pipeline, stage) === 'lambda'
            ? ['dynamodb', 'events', 'logs', 'sqs', 'sts', 'xray']
            : ['dynamodb', 'ecs', 'events', 'sqs', 'sts'],
        );
        expect(allowed.get('sts:AssumeRole'), key).toEqual(new Set([session]));
        expect(allowed.get('sts:TagSession'), key).toEqual(new Set([session]));
        for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'])
          expect(allowed.get(action), `${key} ${action}`).toEqual(new Set(table));
        expect(admitted, key).toContain(JSON.stringify({ 'Fn::GetAtt': [role, 'Arn'] }));
      }
      // The runners take sessions only with the tenant tag, like the API.
      expect(trust?.Statement?.[1]).toMatchObject({
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringLike: { 'aws:RequestTag/tenant': '?*' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenant'] },
        },
      });
    });

    it('tells every stage runner, Lambda and Fargate, the tenant-session role', () => {
      const session = { 'Fn::GetAtt': [logicalId(stack.tenantAccess.role), 'Arn'] };
      for (const q of stageQueues) {
        if (kindOf(q.pipeline, q.stage) === 'lambda') {
          template.hasResourceProperties('AWS::Lambda::Function', {
            Environment: {
              Variables: Match.objectLike({
                STAGECOACH_PIPELINE: q.pipeline,
                STAGECOACH_STAGE: q.stage,
                [ENV.tenantRoleArn]: session,
              }),
            },
          });
        } else {
          template.hasResourceProperties('AWS::ECS::TaskDefinition', {
            ContainerDefinitions: [
              Match.objectLike({
                Environment: Match.arrayWith([
                  { Name: 'STAGECOACH_STAGES', Value: `${q.pipeline}/${q.stage}` },
                  { Name: ENV.tenantRoleArn, Value: session },
                ]),
              }),
            ],
          });
        }
      }
    });

    it('deploys a Fargate service for each Fargate stage, and none otherwise', () => {
      const fargate = stageQueues.filter((q) => kindOf(q.pipeline, q.stage) === 'fargate');
      template.resourceCountIs('AWS::ECS::Service', fargate.length);
      template.resourceCountIs('AWS::EC2::VPC', fargate.length === 0 ? 0 : 1);
      expect(stack.cluster === undefined).toBe(fargate.length === 0);
    });

    it('lets each stage consume only its own queues and send only to its own and the next stage', () => {
      for (const pipeline of pipelines) {
        pipeline.stages.forEach((stage, i) => {
          // Prepare
          const own = topology.stageQueues(pipeline.name, stage.name);
          const next = pipeline.stages[i + 1];
          const forward = next === undefined ? [] : topology.stageQueues(pipeline.name, next.name).lanes;
          const role = roleOf(`${pipeline.name}/${stage.name}`);

          // Act
          const receive = queuesAllowed(template, role, 'sqs:ReceiveMessage');
          const send = queuesAllowed(template, role, 'sqs:SendMessage');

          // Assess
          expect(receive, stage.name).toEqual([...own.lanes].sort());
          expect(send, stage.name).toEqual([...own.lanes, own.dlq, ...forward].sort());
        });
      }
    });

    it('never lets a stage reach the queues of a stage before it', () => {
      const [first, second] = pipelines[0]?.stages ?? [];
      if (first === undefined || second === undefined) throw new Error('the example pipeline has stages');
      const pipeline = pipelines[0]?.name ?? '';
      const firstQueues = topology.stageQueues(pipeline, first.name);
      const sends = queuesAllowed(template, roleOf(`${pipeline}/${second.name}`), 'sqs:SendMessage');
      expect(sends).not.toContain(firstQueues.lanes[0]);
      expect(sends).not.toContain(firstQueues.dlq);
    });
  });

  describe('IAM of the other functions', () => {
    it('lets the dead-letter handler consume every DLQ and nothing else', () => {
      const role = logicalId(stack.deadLetters.role);
      expect(queuesAllowed(template, role, 'sqs:ReceiveMessage')).toEqual(allDlqs);
      expect(queuesAllowed(template, role, 'sqs:SendMessage')).toEqual([]);
    });

    it('lets the API and the sweeper send to every lane, and receive from none', () => {
      for (const role of [logicalId(stack.httpApi.handler.role), logicalId(stack.sweeper.role)]) {
        expect(queuesAllowed(template, role, 'sqs:SendMessage')).toEqual(allLanes);
        expect(queuesAllowed(template, role, 'sqs:ReceiveMessage')).toEqual([]);
      }
    });

    it('gives the WebSocket and fan-out functions connections, read-only jobs and @connections, no queues', () => {
      const jobs = logicalId(stack.state.jobsTable);
      const connections = logicalId(stack.state.connectionsTable);
      const api = logicalId(stack.liveApi.api);
      for (const fn of [...stack.liveApi.routeHandlers, stack.fanout]) {
        // Act
        const allowed = permissionsOf(template, logicalId(fn.role));

        // Assess
        expect([...allowed.keys()].filter((action) => action.startsWith('sqs:'))).toEqual([]);
        expect(allowed.get('dynamodb:PutItem')).toEqual(new Set([connections]));
        expect(allowed.get('dynamodb:GetItem')).toEqual(
          new Set([
            connections,
            jobs,
            `${jobs}/index/by-tenant`,
            `${jobs}/index/by-tenant-status`,
            `${jobs}/index/holds`,
          ]),
        );
        const manage = [...(allowed.get('execute-api:ManageConnections') ?? [])];
        expect(manage).toHaveLength(1);
        expect(manage[0]).toMatch(new RegExp(`<${api}>/live/POST/@connections/\\*$`));
      }
    });

    it('scopes table access to the table and its named indexes, without scans', () => {
      const role = roleOf(`${pipelines[0]?.name}/${pipelines[0]?.stages[0]?.name}`);
      const jobs = logicalId(stack.state.jobsTable);
      const allowed = permissionsOf(template, role);
      expect(allowed.get('dynamodb:Query')).toEqual(
        new Set([jobs, `${jobs}/index/by-tenant`, `${jobs}/index/by-tenant-status`, `${jobs}/index/holds`]),
      );
      expect(allowed.has('dynamodb:Scan')).toBe(false);
      expect([...allowed.keys()].some((action) => action.includes('*'))).toBe(false);
    });

    it("gives the API function a tenant-scoped session role: the table by leading key, the tenant's prefix", () => {
      // Prepare
      const session = logicalId(stack.tenantAccess.role);
      const api = logicalId(stack.httpApi.handler.role);

      // Act
      const allowed = permissionsOf(template, session);

      // Assess: the API may assume it (with its tenant tag), and learns its ARN from the environment
      expect(permissionsOf(template, api).get('sts:TagSession')).toEqual(new Set([session]));
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [api, 'Arn'] },
        Environment: {
          Variables: Match.objectLike({ [ENV.tenantRoleArn]: { 'Fn::GetAtt': [session, 'Arn'] } }),
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: session }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'TenantItems',
              Condition: {
                'ForAllValues:StringLike': {
                  'dynamodb:LeadingKeys': [`\${aws:PrincipalTag/tenant}`, `\${aws:PrincipalTag/tenant}#*`],
                },
              },
            }),
          ]),
        },
      });
      expect(allowed.has('dynamodb:Scan')).toBe(false);
      expect([...(allowed.get('s3:GetObject') ?? [])]).toEqual([
        `${logicalId(stack.storage.bucket)}/tenants/\${aws:PrincipalTag/tenant}/*`,
      ]);
    });

    it("gives the API function's own role no tenant item or object: only registering tenants, in their partition", () => {
      // Prepare
      const api = logicalId(stack.httpApi.handler.role);
      const jobs = logicalId(stack.state.jobsTable);

      // Act
      const allowed = permissionsOf(template, api);
      const dynamo = [...allowed].filter(([action]) => action.startsWith('dynamodb:'));
      const s3 = [...allowed.keys()].filter((action) => action.startsWith('s3:'));

      // Assess
      expect(dynamo).toEqual([['dynamodb:PutItem', new Set([jobs])]]);
      expect(s3).toEqual([]);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: api }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'TenantRegistry',
              Action: 'dynamodb:PutItem',
              Condition: {
                'ForAllValues:StringEquals': {
                  'dynamodb:LeadingKeys': [TENANT_REGISTRY.partition],
                  'dynamodb:Attributes': [...TENANT_REGISTRY.attributes],
                },
                StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
              },
            }),
          ]),
        },
      });
    });

    it('uses no AWS managed policy on any function role', () => {
      const functions = template.findResources('AWS::Lambda::Function');
      const roles = template.findResources('AWS::IAM::Role');
      for (const fn of Object.values(functions)) {
        const role = roles[fn.Properties.Role['Fn::GetAtt'][0]];
        expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('APIs', () => {
    it('puts every HTTP route behind the Cognito JWT authorizer', () => {
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
      const http = routes.filter((route) => String(route.Properties.RouteKey).startsWith('ANY '));
      // One route: the API function's router knows every path of the job API and the services.
      expect(http.map((route) => route.Properties.RouteKey)).toEqual(['ANY /{proxy+}']);
      const authorizer = Object.keys(
        template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } }),
      );
      expect(authorizer).toHaveLength(1);
      for (const route of http) {
        expect(route.Properties.AuthorizationType).toBe('JWT');
        expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizer[0] });
      }
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Audience: [{ Ref: logicalId(stack.identity.client) }], Issuer: Match.anyValue() },
      });
    });

    it('serves the HTTP API on the $default stage with payload 2.0, throttling and access logs', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    });

    it('authorizes WebSocket $connect with the Lambda authorizer reading ?token=', () => {
      const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer', {
        Properties: { AuthorizerType: 'REQUEST' },
      });
      const [id, authorizer] = Object.entries(authorizers)[0] ?? [];
      expect(authorizer?.Properties.IdentitySource).toEqual(['route.request.querystring.token']);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: '$connect',
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: id },
      });
      for (const key of ['$disconnect', '$default'])
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: 'live',
        AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      });
    });

    it('tells the pushing functions the Management API endpoint, built from the API id and stage', () => {
      const endpoint = {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalId(stack.liveApi.api) },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/live',
          ],
        ],
      };
      for (const fn of [...stack.liveApi.routeHandlers, stack.fanout]) {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Handler: `index.${fn === stack.fanout ? 'handler' : fn.node.id.toLowerCase()}`,
          Environment: { Variables: Match.objectLike({ [ENV.websocketEndpoint]: endpoint }) },
        });
      }
    });

    it('creates a user pool whose tenant attribute users cannot change', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Schema: Match.arrayWith([Match.objectLike({ Name: 'tenant_id', Mutable: false })]),
        UserPoolTier: 'PLUS',
        MfaConfiguration: 'OPTIONAL',
      });
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        WriteAttributes: ['email'],
      });
    });
  });

  describe('state, events and storage', () => {
    it('declares the jobs table exactly as the DynamoDB store expects it', () => {
      const definition = jobsTableDefinition('jobs');
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: definition.KeySchema,
        AttributeDefinitions: Match.arrayEquals(definition.AttributeDefinitions ?? []),
        GlobalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        })),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      });
      template.resourceCountIs('AWS::DynamoDB::Table', 2);
    });

    it('archives the durable lifecycle events and routes every event to the fan-out', () => {
      template.hasResourceProperties('AWS::Events::Archive', {
        ArchiveName: 'Stagecoach-test-lifecycle',
        EventPattern: { source: ['stagecoach'], 'detail-type': [{ 'anything-but': ['stage.progress'] }] },
        RetentionDays: 30,
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: logicalId(stack.lifecycleEvents.bus) },
        EventPattern: { source: ['stagecoach'] },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.fanout.function), 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.sweeper.function), 'Arn'] } })],
      });
    });

    it('keeps the storage bucket private, encrypted, TLS-only, logged and on lifecycle rules', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'storage/' }),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
            Match.objectLike({ ExpirationInDays: 30 }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack.storage.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('destroys data with the dev stack', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
      template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    });
  });

  describe('monitoring', () => {
    const topic = () => logicalId(stack.monitoring.alarmTopic);
    const alarmsWith = (description: RegExp) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
        description.test(String(alarm.Properties.AlarmDescription)),
      );

    it('delivers the alarms of an environment without subscribers to an inbox queue', () => {
      expect(stack.monitoring.delivery).toBe('inbox');
      const inbox = stack.monitoring.inbox;
      if (inbox === undefined) throw new Error('dev has no subscriber, so it has an inbox');
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        TopicArn: { Ref: topic() },
        Endpoint: { 'Fn::GetAtt': [logicalId(inbox), 'Arn'] },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `${config.queuePrefix}alarm-inbox`,
        MessageRetentionPeriod: 14 * 86_400,
        SqsManagedSseEnabled: true,
      });
      expect(template.findOutputs('AlarmInboxUrl')).not.toEqual({});
    });

    it('alarms when messages reach a DLQ (by what the dead-letters function receives), on old messages and on quiet tenants waiting', () => {
      for (const q of stageQueues) {
        const name = `${q.pipeline}-${q.stage}`;
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'NumberOfMessagesReceived',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmDescription: Match.stringLikeRegexp(`^${name}: messages reached the dead-letter queue`),
          AlarmActions: [{ Ref: topic() }],
          OKActions: [{ Ref: topic() }],
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateNumberOfMessagesVisible',
          EvaluationPeriods: 3,
          AlarmDescription: Match.stringLikeRegexp(`^${name}: dead letters have waited`),
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateAgeOfOldestMessage',
          Threshold: config.alarms.oldestMessageAgeSeconds,
          AlarmDescription: Match.stringLikeRegexp(`^${name}: a message has waited`),
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'ApproximateAgeOfOldestMessageInQuietGroups',
          Threshold: config.alarms.quietTenantAgeSeconds,
          AlarmDescription: Match.stringLikeRegexp(`^${name}: a tenant that is not flooding`),
        });
      }
    });

    it('alarms on errors and throttles of every function, the listeners included', () => {
      const listeners = stack.listeners;
      if (listeners === undefined) throw new Error('the deployed services have listeners');
      const stage = [...stack.stages.values()].find((deployed) => deployed instanceof LambdaStage);
      if (!(stage instanceof LambdaStage)) throw new Error('the deployed pipelines have a Lambda stage');
      for (const fn of [
        listeners.function,
        stage.function,
        stack.httpApi.handler.function,
        stack.deadLetters.function,
      ]) {
        for (const metric of ['Errors', 'Throttles'])
          template.hasResourceProperties('AWS::CloudWatch::Alarm', {
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
            AlarmActions: [{ Ref: topic() }],
          });
      }
    });

    it("gives every bus rule's target a dead-letter queue, and alarms on anything in it", () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule'));
      expect(rules.length).toBeGreaterThanOrEqual(4);
      const names = queueNames(template);
      for (const rule of rules) {
        for (const target of rule.Properties.Targets) {
          const dlq = names.get(String(target.DeadLetterConfig?.Arn?.['Fn::GetAtt']?.[0]));
          expect(dlq, JSON.stringify(target.Arn)).toMatch(new RegExp(`^${config.queuePrefix}undelivered-`));
        }
      }
      for (const rule of ['FanOut', 'Listeners', 'Sweep', 'TaskFailures'])
        expect(alarmsWith(new RegExp(`^${rule}: `)), rule).toHaveLength(1);
    });

    it('alarms on failed Fargate tasks, DynamoDB throttling and API 5xx', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: Match.objectLike({
            lastStatus: ['STOPPED'],
            stopCode: ['EssentialContainerExited', 'TaskFailedToStart'],
          }),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'NumberOfMessagesSent',
        AlarmDescription: Match.stringLikeRegexp('^workers: a Fargate task stopped on its own'),
      });
      for (const table of ['jobs', 'connections'])
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmDescription: Match.stringLikeRegexp(`^${table}: DynamoDB throttled requests`),
          Metrics: Match.arrayWith([
            Match.objectLike({ Expression: 'reads + writes' }),
            Match.objectLike({ Id: 'reads' }),
            Match.objectLike({ Id: 'writes' }),
          ]),
        });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack.httpApi.api) } }],
        Threshold: 0,
      });
    });

    it('shows every alarm on the dashboard', () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter(
        (id) => !/Idle|StartFromZero/.test(id),
      );
      expect(alarms.length).toBe(stack.monitoring.alarms.length);
      for (const id of alarms) expect(body, id).toContain(`"${id}","Arn"`);
      expect(body).toContain('ApproximateNumberOfNoisyGroups');
    });
  });

  it('outputs the API URLs and the user pool', () => {
    const outputs = template.findOutputs('*');
    for (const name of ['HttpApiUrl', 'WebSocketUrl', 'UserPoolId', 'UserPoolClientId', 'Region'])
      expect(outputs[name], name).toBeDefined();
    expect(JSON.stringify(outputs.WebSocketUrl?.Value)).toMatch(
      /^\{"Fn::Join":\["",\["wss:\/\/",.*"\/live"\]\]\}$/,
    );
  });
});
