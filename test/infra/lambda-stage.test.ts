import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageQueues, Topology } from '../../lib/core/engine/index.js';
import { ConfigError } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage, lambdaTimeoutMs } from '../../lib/core/sdk/index.js';
import { LambdaStage, lambdaStageProblems } from '../../lib/infra/lambda-stage.js';
import {
  bundlingApp,
  fargatePipeline,
  fastApp,
  logicalId,
  queueNames,
  queuesAllowed,
  serviceResources,
} from './support.js';

const resize = defineStage({
  name: 'resize',
  inputs: {},
  outputs: [],
  retry: { maxRetries: 4 },
  timeoutMs: 120_000,
  compute: { memoryMb: 1024, batchSize: 5, concurrency: 1 },
  process: () => ({}),
});
const pipeline = definePipeline({ name: 'images', stages: [resize], priorityLanes: 2 });
const queues = new Topology([pipeline], 'test-').stageQueues('images', 'resize');
const functionTimeoutS = lambdaTimeoutMs(resize.timeoutMs) / 1000;

describe('LambdaStage', () => {
  let app: App;
  let stage: LambdaStage;
  let template: Template;

  beforeAll(() => {
    // Prepare: real bundling, so the bundle itself can be checked
    app = bundlingApp();
    const stack = new Stack(app, 'LambdaStageTest');
    stage = new LambdaStage(stack, 'Resize', {
      pipeline,
      stage: resize,
      queues,
      resources: serviceResources(stack),
    });

    // Act
    template = Template.fromStack(stack);
  });

  it('creates a queue per priority lane and one dead-letter queue, named by the topology', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3);
    expect(queues.lanes).toEqual(['test-images-resize', 'test-images-resize-p1']);
    for (const name of queues.lanes) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: name,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stage.queues.deadLetterQueue), 'Arn'] },
          maxReceiveCount: resize.retry.maxRetries + 3,
        },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'test-images-resize-dlq',
      MessageRetentionPeriod: 14 * 86_400,
    });
  });

  it('keeps every queue visible for at least six times the function timeout plus the batching window', () => {
    for (const name of queues.lanes) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: name,
        VisibilityTimeout: 6 * functionTimeoutS + 1,
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: functionTimeoutS });
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    const all = template.findResources('AWS::SQS::Queue');
    for (const queue of Object.values(all)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 3);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('consumes each lane with partial batch responses, the batch size, a 1 s batching window and a maximum concurrency', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stage.function) },
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // concurrency 1 is raised to the event source minimum of 2 on each lane
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(stage.laneConcurrency).toEqual([2, 2]);
  });

  it('runs functions/stage.ts for this stage on the newest Node.js runtime with tracing and source maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: 1024,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          STAGECOACH_PIPELINE: 'images',
          STAGECOACH_STAGE: 'resize',
          STAGECOACH_QUEUE_PREFIX: 'test-',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('bundles an ES module with its source map', () => {
    // Prepare
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const hash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const dir = join(app.outdir, `asset.${hash}`);

    // Act
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');

    // Assess
    expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
  });

  it('loads as an ES module and exports the handler', async () => {
    // Prepare: the bundle resolves its stage from the deployed pipelines at cold start
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const hash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      STAGECOACH_JOBS_TABLE: 'jobs',
      STAGECOACH_EVENT_BUS: 'bus',
      STAGECOACH_BUCKET: 'bucket',
      STAGECOACH_PIPELINE: 'wordcount',
      STAGECOACH_STAGE: 'count',
    });

    // Act
    let exported: Record<string, unknown>;
    try {
      exported = await import(pathToFileURL(join(app.outdir, `asset.${hash}`, 'index.mjs')).href);
    } finally {
      process.env = saved;
    }

    // Assess
    expect(typeof exported.handler).toBe('function');
  });

  it('lets the runner consume and re-send to its own lanes and dead-letter to its own DLQ', () => {
    const role = logicalId(stage.handler.role);
    expect(queuesAllowed(template, role, 'sqs:ReceiveMessage')).toEqual(queues.lanes);
    expect(queuesAllowed(template, role, 'sqs:DeleteMessage')).toEqual(queues.lanes);
    expect(queuesAllowed(template, role, 'sqs:ChangeMessageVisibility')).toEqual(queues.lanes);
    expect(queuesAllowed(template, role, 'sqs:SendMessage')).toEqual([...queues.lanes, queues.dlq].sort());
  });
});

describe('LambdaStage with three lanes, a batching window and reserved concurrency', () => {
  it('weights the lanes 1 : 2 : 4 within the stage concurrency and reserves it for the function', () => {
    // Prepare
    const tuned = defineStage({
      name: 'score',
      inputs: {},
      outputs: [],
      compute: { concurrency: 20, batchWindowMs: 3_000, reservedConcurrency: 25 },
      process: () => ({}),
    });
    const lanes3 = definePipeline({ name: 'ranking', stages: [tuned], priorityLanes: 3 });
    const stack = new Stack(fastApp(), 'Lanes');

    // Act
    const deployed = new LambdaStage(stack, 'Score', {
      pipeline: lanes3,
      stage: tuned,
      queues: stageQueues(lanes3, tuned),
      resources: serviceResources(stack),
    });
    const template = Template.fromStack(stack);

    // Assess: the event source of each queue has its lane's share
    const names = queueNames(template);
    const byQueue = new Map<string, number>();
    for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))) {
      const queue = names.get(String(mapping.Properties.EventSourceArn['Fn::GetAtt'][0])) ?? '';
      byQueue.set(queue, mapping.Properties.ScalingConfig.MaximumConcurrency);
      expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBe(3);
    }
    expect(deployed.laneConcurrency).toEqual([3, 6, 11]);
    expect(byQueue).toEqual(
      new Map([
        ['ranking-score', 3],
        ['ranking-score-p1', 6],
        ['ranking-score-p2', 11],
      ]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 25 });
  });
});

describe('lambdaStageProblems', () => {
  it('refuses reserved concurrency below what the event sources may run', () => {
    // Prepare
    const starved = defineStage({
      name: 'starved',
      inputs: {},
      outputs: [],
      compute: { concurrency: 10, reservedConcurrency: 6 },
      process: () => ({}),
    });
    const p = definePipeline({ name: 'p', stages: [starved], priorityLanes: 2 });

    // Act
    const problems = lambdaStageProblems(starved, stageQueues(p, starved));

    // Assess
    expect(problems).toEqual([
      "compute.reservedConcurrency 6 is below the event sources' maximum concurrency (10 over 2 lane(s)); throttled batches come back and count towards the dead-letter queue — raise it to at least 10 or lower compute.concurrency",
    ]);
  });

  it('reports a short visibility timeout, a Fargate stage and too much memory at once', () => {
    // Prepare
    const heavy = defineStage({
      name: 'heavy',
      inputs: {},
      outputs: [],
      timeoutMs: 60_000,
      visibilityTimeoutMs: 120_000,
      compute: { kind: 'fargate', memoryMb: 16_384 },
      process: () => ({}),
    });
    const p = definePipeline({ name: 'p', stages: [heavy] });

    // Act
    const problems = lambdaStageProblems(heavy, stageQueues(p, heavy));

    // Assess
    expect(problems).toEqual([
      "compute.kind is 'fargate'; deploy it with FargateStage",
      "compute.memoryMb 16384 exceeds Lambda's 10240 MB; use compute.kind 'fargate'",
      'visibilityTimeoutMs 120000 is below 6 × the function timeout (90000 ms); set it to at least 540000 or leave it unset',
    ]);
  });

  it('refuses to build a stage that cannot run on Lambda', () => {
    // Prepare
    const stack = new Stack(bundlingApp(), 'Refused');
    const analyze = fargatePipeline.stages[1];
    if (analyze === undefined) throw new Error('the test pipeline has an analyze stage');

    // Act
    let error: unknown;
    try {
      new LambdaStage(stack, 'Analyze', {
        pipeline: fargatePipeline,
        stage: analyze,
        queues: stageQueues(fargatePipeline, analyze),
        resources: serviceResources(stack),
      });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error instanceof ConfigError ? error.problems : []).toContain(
      "compute.kind is 'fargate'; deploy it with FargateStage",
    );
  });
});
