/**
 * AWS cost benchmark: a four-stage no-op pipeline on the AWS adapters against moto_server, each
 * stage consumed the way Lambda consumes it (event source polling, batch size 10, the stage
 * handler), counting every AWS API call with an SDK middleware. Prices: docs/cost.md.
 *
 *   npm run bench:aws -- [--jobs 100] [--batch 10]
 *
 * moto_server copies every table a transaction touches before applying it (for rollback), so its
 * time and memory per hop grow with the table: 100 jobs take about 2.5 min and 4.5 GB of moto's
 * memory, 200 jobs several times that. The per-hop counts do not depend on the job count.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeMiddleware,
} from '@smithy/types';
import {
  type AwsClients,
  createAwsBackend,
  createClients,
  provisionAws,
} from '../../lib/adapters/aws/index.js';
import { JobService } from '../../lib/core/control/index.js';
import { newWorkerId, StageRunner, Topology } from '../../lib/core/engine/index.js';
import { silentLogger } from '../../lib/core/ports/index.js';
import { definePipeline, defineStage, lambdaTimeoutMs } from '../../lib/core/sdk/index.js';
import { SqsEventSource } from '../../lib/dev/event-source.js';
import { startMoto } from '../../lib/dev/moto.js';
import { createStageHandler } from '../../lib/shells/lambda/stage-handler.js';

const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '100' }, batch: { type: 'string', default: '10' } },
});
const jobCount = Number(values.jobs);
const batchSize = Number(values.batch);

/** Public on-demand prices, us-east-1 (docs/cost.md has the sources and the arithmetic). */
const PRICE = {
  sqsRequest: 0.4 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000166667,
};

// ---------------------------------------------------------------------------------------------
// Counting: every API call by service and operation; the units each call is billed for.
// ---------------------------------------------------------------------------------------------

interface Tally {
  calls: Map<string, number>;
  sqsRequests: number;
  writeUnits: number;
  readUnits: number;
  events: number;
}
const tally: Tally = { calls: new Map(), sqsRequests: 0, writeUnits: 0, readUnits: 0, events: 0 };
let counting = false;

type Input = Record<string, unknown>;
const items = (input: Input, key: string): Input[] =>
  Array.isArray(input[key]) ? (input[key] as Input[]) : [];

/**
 * What a call is billed for. SQS: one request per call (a batch of small messages is one request).
 * DynamoDB, items under 1 KB: a write is 1 WRU, a transactional write 2 WRU per item; a job update
 * that moves the job in the status index adds 2 WRU there (delete + put of the index entry); a
 * consistent read is 1 RRU. EventBridge: per event.
 */
function bill(operation: string, input: Input): void {
  switch (operation) {
    case 'TransactWriteItemsCommand':
    case 'TransactWriteCommand': {
      const transact = items(input, 'TransactItems');
      tally.writeUnits += 2 * transact.length;
      for (const t of transact) {
        const update = t.Update as Input | undefined;
        if (
          typeof update?.UpdateExpression === 'string' &&
          update.UpdateExpression.includes('status_since')
        ) {
          tally.writeUnits += 2;
        }
      }
      break;
    }
    case 'UpdateItemCommand':
    case 'UpdateCommand':
      tally.writeUnits += 1 + (String(input.UpdateExpression ?? '').includes('status_since') ? 2 : 0);
      break;
    case 'PutItemCommand':
    case 'PutCommand':
    case 'DeleteItemCommand':
    case 'DeleteCommand':
      tally.writeUnits += 1;
      break;
    case 'GetItemCommand':
    case 'GetCommand':
    case 'QueryCommand':
      tally.readUnits += 1;
      break;
    case 'PutEventsCommand':
      tally.events += items(input, 'Entries').length;
      break;
    default:
      break;
  }
}

/** An SDK middleware that tallies each call before it is sent. */
function counter<I extends object, O extends object>(): InitializeMiddleware<I, O> {
  return (next: InitializeHandler<I, O>, context: HandlerExecutionContext) =>
    async (args: InitializeHandlerArguments<I>) => {
      if (counting) {
        const key = `${context.clientName?.replace('Client', '') ?? '?'}.${context.commandName?.replace('Command', '') ?? '?'}`;
        tally.calls.set(key, (tally.calls.get(key) ?? 0) + 1);
        if (context.clientName === 'SQSClient') tally.sqsRequests += 1;
        bill(context.commandName ?? '', Object.fromEntries(Object.entries(args.input)));
      }
      return next(args);
    };
}

function count(clients: AwsClients): void {
  const options = { step: 'initialize', name: 'stagecoachCallCounter' } as const;
  clients.sqs.middlewareStack.add(counter(), options);
  clients.dynamoDb.middlewareStack.add(counter(), options);
  clients.eventBridge.middlewareStack.add(counter(), options);
  clients.s3.middlewareStack.add(counter(), options);
}

// ---------------------------------------------------------------------------------------------

const noop = (name: string) =>
  defineStage({ name, inputs: {}, outputs: [], compute: { batchSize, concurrency: 4 }, process: () => ({}) });
const pipeline = definePipeline({ name: 'bench', stages: [noop('s1'), noop('s2'), noop('s3'), noop('s4')] });

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const moto = await startMoto();
try {
  const prefix = `b${Date.now() % 100_000}-`;
  const config = {
    region: 'us-east-1',
    endpoint: moto.endpoint,
    queuePrefix: prefix,
    jobsTable: `${prefix}jobs`,
    connectionsTable: `${prefix}connections`,
    eventBus: `${prefix}bus`,
    eventSource: 'stagecoach',
    bucket: `${prefix}data`,
    retentionDays: 1,
  };
  const clients = createClients(config);
  count(clients);
  const backend = createAwsBackend(config, { clients });
  const topology = new Topology([pipeline], prefix);
  await provisionAws(config, clients, backend.queue, topology.specs());
  // An uncounted client set watches progress, so the watching costs nothing in the figures.
  const watcher = createAwsBackend(config);
  const jobs = new JobService({ backend, topology });
  const caller = { tenantId: 'bench' };

  counting = true;
  const submitStart = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < jobCount; i += 1) ids.push((await jobs.submit({ pipeline: 'bench' }, caller)).job_id);
  await backend.events.flush();
  const submitCalls = new Map(tally.calls);
  const submitted = { ...tally, calls: submitCalls };
  tally.calls = new Map();
  tally.sqsRequests = 0;
  tally.writeUnits = 0;
  tally.readUnits = 0;
  tally.events = 0;
  const submitSeconds = (performance.now() - submitStart) / 1000;

  // Stage functions publish with a long linger, flushed when each invocation ends (functions/stage.ts).
  const stageBackend = {
    ...backend,
    events: createAwsBackend(config, { clients, eventLingerMs: 1_000 }).events,
  };
  const sources = pipeline.stages.map((stage) => {
    const queues = topology.stageQueues(pipeline.name, stage.name);
    const runner = new StageRunner(pipeline, stage, {
      backend: stageBackend,
      topology,
      workerId: newWorkerId('lambda'),
    });
    const source = new SqsEventSource({
      name: stage.name,
      queue: backend.queue,
      queues: queues.lanes,
      handler: createStageHandler({
        runner,
        queue: backend.queue,
        events: stageBackend.events,
        logger: silentLogger,
      }),
      batchSize,
      maxConcurrency: 2,
      functionTimeoutMs: lambdaTimeoutMs(stage.timeoutMs),
      waitTimeMs: Number(process.env.BENCH_WAIT_MS ?? 1_000),
      logger: silentLogger,
    });
    source.start();
    return source;
  });
  const started = performance.now();
  let done = 0;
  while (done < jobCount) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const page = await watcher.store.listJobs({ tenant_id: 'bench', status: 'DONE', limit: 1_000 });
    done = page.items.length;
  }
  const seconds = (performance.now() - started) / 1000;
  counting = false;
  await Promise.all(sources.map((s) => s.stop()));

  const hops = jobCount * pipeline.stages.length;
  const calls = [...tally.calls.values()].reduce((a, b) => a + b, 0);
  const perHop = calls / hops;
  // Lambda: one invocation per batch, ~100 ms at 512 MB for a batch of no-op stages.
  const invocations = tally.calls.get('SQS.ReceiveMessage') ?? 0;
  const hopCost =
    (tally.sqsRequests * PRICE.sqsRequest +
      tally.writeUnits * PRICE.dynamoWriteUnit +
      tally.readUnits * PRICE.dynamoReadUnit +
      tally.events * PRICE.eventBridgeEvent +
      invocations * (PRICE.lambdaRequest + 0.5 * 0.1 * PRICE.lambdaGbSecond)) /
    hops;
  const submitCost =
    (submitted.sqsRequests * PRICE.sqsRequest +
      submitted.writeUnits * PRICE.dynamoWriteUnit +
      submitted.readUnits * PRICE.dynamoReadUnit +
      submitted.events * PRICE.eventBridgeEvent) /
    jobCount;
  const perMillionJobs = (hopCost * pipeline.stages.length + submitCost) * 1e6;

  console.log(
    `jobs ${jobCount} × ${pipeline.stages.length} stages = ${hops} stage hops, batch size ${batchSize}`,
  );
  console.log(`submit: ${submitSeconds.toFixed(1)} s; processing: ${seconds.toFixed(1)} s on moto_server`);
  console.log('\nAPI calls while processing (per stage hop):');
  for (const [key, n] of [...tally.calls.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${key.padEnd(36)} ${String(n).padStart(6)}   ${(n / hops).toFixed(3)}`);
  }
  console.log(`  ${'total'.padEnd(36)} ${String(calls).padStart(6)}   ${perHop.toFixed(3)}   (target ≤ 4)`);
  console.log('\nBilled units per stage hop:');
  console.log(
    `  SQS requests ${(tally.sqsRequests / hops).toFixed(3)}, DynamoDB WRU ${(tally.writeUnits / hops).toFixed(2)}, RRU ${(tally.readUnits / hops).toFixed(2)}, EventBridge events ${(tally.events / hops).toFixed(2)}, Lambda invocations ${(invocations / hops).toFixed(3)}`,
  );
  console.log(
    `  submit per job: ${[...submitCalls.entries()].map(([k, n]) => `${k} ${(n / jobCount).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `\ncost: $${(hopCost * 1e6).toFixed(2)} per million stage hops (Step Functions Standard: $25 per million transitions)`,
  );
  console.log(
    `      $${perMillionJobs.toFixed(2)} per million ${pipeline.stages.length}-stage jobs, submission included`,
  );
  console.log(
    JSON.stringify({
      api_calls_per_hop: Number(perHop.toFixed(3)),
      usd_per_million_jobs: Number(perMillionJobs.toFixed(2)),
      hops_per_s: Number((hops / seconds).toFixed(1)),
    }),
  );
} finally {
  await moto.stop();
}
