/**
 * AWS cost benchmark: what AWS bills for a four-stage job, counted from the requests the SDK sends.
 * The real adapters and Lambda shells run against moto_server: jobs are submitted through the HTTP
 * API's handler, each stage is consumed the way Lambda consumes it (an SQS event source invoking
 * the stage handler in one of a few containers), and every event on the bus reaches the fan-out
 * handler, as its rule delivers it. A middleware on the clients bills each request
 * (test/bench/billing); Lambda durations are modelled from the calls each invocation waits for.
 *
 *   npm run bench:aws -- [--jobs 100] [--low-jobs 10] [--progress-jobs 10] [--progress-seconds 10]
 *                        [--throttled-jobs 40] [--only load,limited,throttled,…]
 *
 * Prices and the arithmetic: docs/cost.md.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  createAwsBackend,
  createClients,
  provisionAws,
  routeBusToQueue,
} from '../../lib/adapters/aws/index.js';
import { defineService } from '../../lib/core/api/index.js';
import type { TenantLimits } from '../../lib/core/control/index.js';
import { silentLogger, sleep, tenantTopic } from '../../lib/core/ports/index.js';
import {
  definePipeline,
  defineStage,
  lambdaTimeoutMs,
  type Pipeline,
  type Stage,
} from '../../lib/core/sdk/index.js';
import { SqsEventSource, type SqsHandler } from '../../lib/dev/event-source.js';
import { startMoto } from '../../lib/dev/moto.js';
import { FUNCTION_ARCHITECTURE } from '../../lib/infra/defaults.js';
import { Deployment } from '../../lib/shells/deployment.js';
import { BusEnvelopeSchema, createFanoutHandler } from '../../lib/shells/lambda/bus-handlers.js';
import { createHttpHandler } from '../../lib/shells/lambda/http-handler.js';
import { createStageHandler } from '../../lib/shells/lambda/stage-handler.js';
import { httpEvent } from '../support/lambda-events.js';
import { Meter } from './billing/meter.js';
import { stepFunctionsModels } from './billing/step-functions.js';
import { type Cost, costOf, costTotal, Usage } from './billing/usage.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '100' },
    'low-jobs': { type: 'string', default: '10' },
    'progress-jobs': { type: 'string', default: '10' },
    'progress-seconds': { type: 'string', default: '10' },
    'throttled-jobs': { type: 'string', default: '40' },
    /**
     * Run only these scenarios (comma-separated keys: load, low, watched, progress,
     * progress-watched, limited, throttled).
     */
    only: { type: 'string' },
  },
});
const ONLY = values.only === undefined ? undefined : new Set(values.only.split(','));
const wanted = (key: string): boolean => ONLY === undefined || ONLY.has(key);
const JOBS = Number(values.jobs);
const LOW_JOBS = Number(values['low-jobs']);
const PROGRESS_JOBS = Number(values['progress-jobs']);
const PROGRESS_SECONDS = Number(values['progress-seconds']);
const THROTTLED_JOBS = Number(values['throttled-jobs']);
/** Per-tenant limits the stage functions run with; a scenario sets its tenant's before it starts. */
const LIMITS: { tenants: Record<string, TenantLimits> } = { tenants: {} };

const STAGES = 4;
const ARCH = FUNCTION_ARCHITECTURE.name === 'arm64' ? 'arm64' : 'x86_64';
/** The HTTP API's function (lib/infra/http-api.ts) and the fan-out (ServiceFunction's default). */
const API_MEMORY_MB = 512;
const FANOUT_MEMORY_MB = 512;
/** The archive keeps events 365 days (lib/infra/config.ts, events.archiveRetentionDays). */
const ARCHIVE_MONTHS = 12;
/** Lambda containers per stage (the event source's maximum concurrency). */
const CONTAINERS = 2;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// ---------------------------------------------------------------------------------------------
// The pipelines: four no-op stages at batch 10 and at batch 1, and one whose second stage runs for
// ten seconds reporting progress.
// ---------------------------------------------------------------------------------------------

let meter: Meter | undefined;
const noop = (name: string, batchSize: number): Stage =>
  defineStage({
    name,
    inputs: {},
    outputs: [],
    compute: { batchSize, concurrency: CONTAINERS },
    process: () => ({}),
  });
const reporting = (name: string): Stage =>
  defineStage({
    name,
    inputs: {},
    outputs: [],
    timeoutMs: (PROGRESS_SECONDS + 30) * 1000,
    compute: { batchSize: 10, concurrency: CONTAINERS },
    process: async (_inputs, ctx) => {
      const work = async () => {
        const end = Date.now() + PROGRESS_SECONDS * 1000;
        while (Date.now() < end) {
          ctx.progress(100 * (1 - (end - Date.now()) / (PROGRESS_SECONDS * 1000)), 'working');
          await sleep(50, ctx.signal);
        }
        return {};
      };
      return meter === undefined ? work() : meter.work(work);
    },
  });
const stages = (make: (i: number) => Stage) => Array.from({ length: STAGES }, (_, i) => make(i + 1));
const batch10 = definePipeline({ name: 'batch10', stages: stages((i) => noop(`s${i}`, 10)) });
const batch1 = definePipeline({ name: 'batch1', stages: stages((i) => noop(`s${i}`, 1)) });
const progress = definePipeline({
  name: 'progress',
  stages: stages((i) => (i === 2 ? reporting(`s${i}`) : noop(`s${i}`, 10))),
});
const service = defineService({ name: 'bench', pipelines: [batch10, batch1, progress] });

// ---------------------------------------------------------------------------------------------

const moto = await startMoto();
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
  websocketEndpoint: moto.endpoint,
  retentionDays: 1,
};
const m = new Meter({ region: config.region, endpoint: moto.endpoint });
meter = m;
// Only calls made inside a scenario's scopes are billed (setup and the bench's own polling are not).
m.enabled = false;
const clients = createClients(config);
m.attach(clients.sqs);
m.attach(clients.dynamoDb); // the document client shares its middleware stack
m.attach(clients.eventBridge);
if (clients.management !== undefined) m.attach(clients.management);
/** The bench's own view (waiting for jobs, the fan-out's delivery queue), never billed. */
const observer = createAwsBackend(config);
const apiDeployment = new Deployment({
  backend: createAwsBackend(config, { clients }),
  services: [service],
  prefix,
});
await provisionAws(config, clients, apiDeployment.backend.queue, apiDeployment.topology.specs());
const fanoutQueue = await routeBusToQueue(observer.clients, config, `${prefix}fanout`, {
  source: [config.eventSource],
});
const api = createHttpHandler(apiDeployment.httpApi());
const fanoutBackend = createAwsBackend(config, { clients });
const live = fanoutBackend.live;
if (live === undefined) throw new Error('the fan-out needs the Management API client');
const fanout = createFanoutHandler(
  new Deployment({ backend: fanoutBackend, services: [service], prefix }).fanout(live),
  silentLogger,
);

/** A stage function: a container per concurrent invocation, each with its own adapters and caches. */
function stageFunction(pipeline: Pipeline, stage: Stage): SqsHandler {
  const containers: { busy: boolean; handler: SqsHandler }[] = [];
  const container = () => {
    const backend = createAwsBackend(config, { clients, eventLingerMs: 1_000 });
    const runner = new Deployment({ backend, services: [service], prefix, limits: LIMITS }).runner(
      pipeline,
      stage,
    );
    const handle = runner.handle.bind(runner);
    runner.handle = (message, source) => m.record(() => handle(message, source));
    const handler = createStageHandler({
      runner,
      queue: backend.queue,
      events: backend.events,
      logger: silentLogger,
    });
    return { busy: false, handler };
  };
  return async (event, context) => {
    let c = containers.find((x) => !x.busy);
    if (c === undefined) {
      c = container();
      containers.push(c);
    }
    const chosen = c;
    chosen.busy = true;
    try {
      return await m.invoke('stage', stage.compute.memoryMb, () => chosen.handler(event, context));
    } finally {
      chosen.busy = false;
    }
  };
}

// The fan-out: EventBridge invokes it once per event; here a rule delivers the bus to a queue the
// bench drains (unbilled), invoking the handler per event — several at once, as Lambda scales — in
// the scope of the scenario whose tenant the event belongs to.
const fanoutUsage = new Map<string, Usage>();
const stray = new Usage();
let fanoutRunning = true;
const tenantOf = (detail: unknown): string =>
  typeof detail === 'object' && detail !== null && 'tenant_id' in detail ? String(detail.tenant_id) : '';
const fanoutLoop = (async () => {
  while (fanoutRunning) {
    const out = await observer.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: fanoutQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    await Promise.all(
      (out.Messages ?? []).map(async (message) => {
        const envelope = BusEnvelopeSchema.parse(JSON.parse(message.Body ?? '{}'));
        const usage = fanoutUsage.get(tenantOf(envelope.detail)) ?? stray;
        await m.within(usage, () => m.invoke('fanout', FANOUT_MEMORY_MB, () => fanout(envelope)));
        await observer.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: fanoutQueue, ReceiptHandle: message.ReceiptHandle }),
        );
      }),
    );
  }
})();

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------

interface Scenario {
  readonly name: string;
  readonly key: string;
  readonly jobs: number;
  readonly submit: Usage;
  readonly hops: Usage;
  readonly fanout: Usage;
  readonly seconds: number;
  readonly published: number;
}

async function doneCount(tenant: string, since: string): Promise<number> {
  const counts = await observer.store.countJobs({ tenant_id: tenant, since });
  return counts.DONE + counts.FAILED;
}

async function waitDone(tenant: string, since: string, n: number): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  while ((await doneCount(tenant, since)) < n) {
    if (Date.now() > deadline) throw new Error(`jobs of ${tenant} did not finish in 15 minutes`);
    await sleep(300);
  }
}

async function run(
  key: string,
  name: string,
  pipeline: Pipeline,
  jobs: number,
  options: { readonly sequential?: boolean; readonly watched?: boolean; readonly running?: number } = {},
): Promise<Scenario> {
  const tenant = `${key}-${randomUUID().slice(0, 6)}`;
  if (options.running !== undefined) LIMITS.tenants[tenant] = { runningPerStage: options.running };
  const since = new Date(Date.now() - 1_000).toISOString();
  const submit = new Usage();
  const hops = new Usage();
  const fan = new Usage();
  fanoutUsage.set(tenant, fan);
  const connection = `watcher-${tenant}`;
  if (options.watched === true) {
    await observer.store.putConnection({
      connection_id: connection,
      tenant_id: tenant,
      connected_at: new Date().toISOString(),
    });
    await observer.store.subscribe({
      connection_id: connection,
      topic: tenantTopic(tenant),
      tenant_id: tenant,
    });
  }
  const submitOne = async (i: number) => {
    const response = await m.within(submit, () =>
      m.invoke('api', API_MEMORY_MB, () =>
        api(
          httpEvent('POST', '/jobs', {
            body: { pipeline: pipeline.name, params: { n: i } },
            claims: { 'custom:tenant_id': tenant, sub: 'bench' },
          }),
        ),
      ),
    );
    if (response.statusCode !== 201)
      throw new Error(`submit answered ${response.statusCode}: ${response.body}`);
  };
  const start = () =>
    m.within(hops, () =>
      pipeline.stages.map((stage) => {
        const source = new SqsEventSource({
          name: `${pipeline.name}-${stage.name}`,
          queue: apiDeployment.backend.queue,
          queues: [...apiDeployment.topology.stageQueues(pipeline.name, stage.name).lanes].reverse(),
          handler: stageFunction(pipeline, stage),
          batchSize: stage.compute.batchSize,
          maxConcurrency: CONTAINERS,
          functionTimeoutMs: lambdaTimeoutMs(stage.timeoutMs),
          waitTimeMs: 1_000,
          logger: silentLogger,
        });
        source.start();
        return source;
      }),
    );
  const t0 = performance.now();
  let sources: SqsEventSource[];
  if (options.sequential === true) {
    // Low load: one job in the system at a time, so every invocation gets a batch of one.
    sources = start();
    for (let i = 0; i < jobs; i += 1) {
      await submitOne(i);
      await waitDone(tenant, since, i + 1);
    }
  } else {
    // At load: the backlog is there when the functions start, so batches are full.
    for (let i = 0; i < jobs; i += 1) await submitOne(i);
    sources = start();
    await waitDone(tenant, since, jobs);
  }
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(sources.map((s) => s.stop()));
  // Every event published reaches the fan-out once; wait for the last ones.
  const published = [submit, hops].reduce((sum, u) => sum + u.total('events'), 0);
  const deadline = Date.now() + 10 * 60_000;
  while ((fan.functions.get('fanout')?.invocations ?? 0) < published) {
    if (Date.now() > deadline)
      throw new Error(`${name}: the fan-out did not receive every event in 10 minutes`);
    await sleep(250);
  }
  if (options.watched === true) await observer.store.deleteConnection(connection);
  const done = await doneCount(tenant, since);
  if (done < jobs) throw new Error(`${name}: ${done} of ${jobs} jobs finished`);
  return { name, key, jobs, submit, hops, fanout: fan, seconds, published };
}

// ---------------------------------------------------------------------------------------------
// Reporting.
// ---------------------------------------------------------------------------------------------

const usd = (dollars: number): string => `$${dollars.toFixed(2)}`;
const pad = (text: string | number, width: number): string => String(text).padStart(width);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

interface Priced {
  readonly submit: Cost;
  readonly hops: Cost;
  readonly fanout: Cost;
  readonly core: number;
  readonly allIn: number;
}

function price(s: Scenario): Priced {
  const options = { architecture: ARCH, archiveMonths: ARCHIVE_MONTHS } as const;
  const submit = costOf(s.submit, { ...options, httpRequests: s.jobs });
  const hops = costOf(s.hops, options);
  const fanout = costOf(s.fanout, options);
  const core =
    submit.sqs +
    submit.dynamoWrites +
    submit.dynamoReads +
    submit.eventBridge +
    hops.sqs +
    hops.dynamoWrites +
    hops.dynamoReads +
    hops.eventBridge +
    hops.lambdaRequests;
  const allIn = costTotal(submit) + costTotal(hops) + costTotal(fanout);
  return { submit, hops, fanout, core: (core / s.jobs) * 1e6, allIn: (allIn / s.jobs) * 1e6 };
}

function printScenario(s: Scenario): Priced {
  const hops = s.jobs * STAGES;
  console.log(`\n## ${s.name}: ${s.jobs} jobs × ${STAGES} stages (${s.seconds.toFixed(1)} s on moto_server)`);
  console.log('\nper stage hop               calls     WRU  GSI WRU     RRU  SQS req  events  WS msg');
  const rows = [...s.hops.operations.entries()].sort((a, b) => b[1].calls - a[1].calls);
  for (const [op, u] of rows) {
    console.log(
      `  ${op.padEnd(26)}${pad((u.calls / hops).toFixed(3), 6)}${pad((u.wru / hops).toFixed(2), 8)}${pad((u.gsiWru / hops).toFixed(2), 9)}${pad((u.rru / hops).toFixed(2), 8)}${pad((u.sqsRequests / hops).toFixed(3), 9)}${pad((u.events / hops).toFixed(2), 8)}${pad((u.wsMessages / hops).toFixed(2), 8)}`,
    );
  }
  const stage = s.hops.functions.get('stage');
  if (stage !== undefined) {
    console.log(
      `  ${'Lambda (stage functions)'.padEnd(26)}${pad((stage.invocations / hops).toFixed(3), 6)} invocations, billed ${median(stage.billedMs)} ms each (median, modelled: ${median(stage.localMs).toFixed(1)} ms of its own time + AWS latencies; ${median(stage.wallMs).toFixed(0)} ms wall time here)`,
    );
  }
  const index = [...s.hops.indexWrites.entries()]
    .map(([k, n]) => `${k} ${(n / s.jobs).toFixed(2)}`)
    .join(', ');
  console.log(
    `  index writes per job: ${index || 'none'}; largest job item written: ${s.hops.largestItem} bytes`,
  );
  console.log(
    `  per job, submit: ${[...s.submit.operations.entries()].map(([k, u]) => `${k} ${(u.calls / s.jobs).toFixed(2)}`).join(', ')}; index writes ${[...s.submit.indexWrites.entries()].map(([k, n]) => `${k} ${(n / s.jobs).toFixed(2)}`).join(', ')}`,
  );
  console.log(
    `  per job, fan-out: ${((s.fanout.functions.get('fanout')?.invocations ?? 0) / s.jobs).toFixed(2)} invocations, ${[...s.fanout.operations.entries()].map(([k, u]) => `${k} ${(u.calls / s.jobs).toFixed(2)}`).join(', ')}`,
  );
  if (s.hops.idleReceives + s.hops.coldStartRequests > 0) {
    console.log(
      `  (not per job: ${s.hops.idleReceives} empty receives while queues were idle, ${s.hops.coldStartRequests} GetQueueUrl at container starts; see docs/cost.md)`,
    );
  }
  const p = price(s);
  const perMillion = (c: Cost, key: keyof Cost) => usd((c[key] / s.jobs) * 1e6);
  const columns: (keyof Cost)[] = [
    'sqs',
    'dynamoWrites',
    'dynamoReads',
    'eventBridge',
    'lambdaRequests',
    'lambdaCompute',
    'webSocket',
    'archive',
    'httpApi',
  ];
  console.log(
    '\n$ per million jobs      SQS   DDB wr  DDB rd  EvBrdg  λ req  λ GB-s    WS  archive  HTTP   total',
  );
  for (const [label, c] of [
    ['submit (HTTP)', p.submit],
    ['stage hops', p.hops],
    ['fan-out', p.fanout],
  ] as const) {
    console.log(
      `  ${label.padEnd(16)}${columns.map((k) => pad(perMillion(c, k), 7)).join(' ')}${pad(usd((costTotal(c) / s.jobs) * 1e6), 8)}`,
    );
  }
  const work = s.hops.workGbSeconds;
  if (work > 0) {
    console.log(
      `  (the stage's own ${PROGRESS_SECONDS} s of work adds ${usd(((work * 0.0000133334) / s.jobs) * 1e6)} per million jobs of Lambda compute, not counted above)`,
    );
  }
  console.log(
    `  core (SQS + DynamoDB + EventBridge + stage Lambda requests): ${usd(p.core)} per million jobs`,
  );
  console.log(
    `  all-in (+ HTTP API and its function, fan-out, archive, Lambda compute): ${usd(p.allIn)} per million jobs`,
  );
  return p;
}

let exitCode = 0;
try {
  console.log(`# What a ${STAGES}-stage job costs on AWS (us-east-1 list prices, Lambda ${ARCH})`);
  const scenarios: Scenario[] = [];
  const priced: { s: Scenario; p: Priced }[] = [];
  const push = (s: Scenario) => {
    scenarios.push(s);
    priced.push({ s, p: printScenario(s) });
  };
  if (wanted('load')) push(await run('load', 'batch 10 at load, watched by nobody', batch10, JOBS));
  if (wanted('low')) {
    push(await run('low', 'batch 1 at low load, watched by nobody', batch1, LOW_JOBS, { sequential: true }));
  }
  if (wanted('watched')) {
    push(
      await run('watched', 'batch 10 at load, a WebSocket client watching the tenant', batch10, JOBS, {
        watched: true,
      }),
    );
  }
  if (wanted('progress')) {
    push(
      await run(
        'progress',
        `progress reported for ${PROGRESS_SECONDS} s in stage 2, watched by nobody`,
        progress,
        PROGRESS_JOBS,
      ),
    );
  }
  if (wanted('progress-watched')) {
    push(
      await run(
        'progress-watched',
        `progress reported for ${PROGRESS_SECONDS} s in stage 2, watched`,
        progress,
        PROGRESS_JOBS,
        { watched: true },
      ),
    );
  }

  if (wanted('limited')) {
    push(
      await run(
        'limited',
        'batch 10 at load, a running limit it never reaches (1,000 per stage)',
        batch10,
        JOBS,
        {
          running: 1_000,
        },
      ),
    );
  }
  if (wanted('throttled')) {
    push(
      await run(
        'throttled',
        `batch 10 at load, limited to 5 running per stage (20 could run)`,
        batch10,
        THROTTLED_JOBS,
        { running: 5 },
      ),
    );
  }

  const load = scenarios[0];
  const stageMs = load === undefined ? [] : (load.hops.functions.get('stage')?.billedMs ?? []);
  const sfn = stepFunctionsModels({
    stages: STAGES,
    memoryMb: batch10.stages[0]?.compute.memoryMb ?? 512,
    taskMs: 3,
    invokeOverheadMs: 20,
    architecture: ARCH,
  });
  console.log('\n## The same job on Step Functions (modelled)');
  for (const model of sfn) {
    console.log(
      `  ${model.name.padEnd(24)} ${model.transitions > 0 ? `${model.transitions} transitions` : `${model.requests} request, ${model.expressGbSeconds.toFixed(4)} GB-s`}, ${model.lambdaRequests} Lambda requests: ${usd(model.usdPerMillion)} per million jobs; all-in ${usd(model.usdPerMillionAllIn)}`,
    );
  }
  console.log('\n## Summary ($ per million jobs)');
  for (const { s, p } of priced)
    console.log(`  ${s.name.padEnd(66)} core ${pad(usd(p.core), 8)}  all-in ${pad(usd(p.allIn), 8)}`);
  const main = priced[0]?.p;
  const result = {
    usd_per_million_jobs: Number((main?.core ?? 0).toFixed(2)),
    usd_per_million_jobs_all_in: Number((main?.allIn ?? 0).toFixed(2)),
    stage_invocation_billed_ms: median(stageMs),
    scenarios: Object.fromEntries(
      priced.map(({ s, p }) => [
        s.key,
        { core: Number(p.core.toFixed(2)), all_in: Number(p.allIn.toFixed(2)) },
      ]),
    ),
    step_functions_standard: Number((sfn[0]?.usdPerMillion ?? 0).toFixed(2)),
    step_functions_express: Number((sfn[1]?.usdPerMillion ?? 0).toFixed(2)),
    targets: { core: 10, all_in: 15 },
  };
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  fanoutRunning = false;
  await fanoutLoop.catch(() => undefined);
  await moto.stop();
}
process.exit(exitCode);
