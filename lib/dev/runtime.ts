import { resolve } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { type AwsConfig, createAwsBackend, provisionAws, routeBusToQueue } from '../adapters/aws/index.js';
import { createMemoryBackend, LocalUrlSigner, type MemoryBackend } from '../adapters/memory/index.js';
import { LiveFanout } from '../core/api/fanout.js';
import { HttpApi, type Route } from '../core/api/http-api.js';
import { jobRoutes } from '../core/api/job-routes.js';
import { dispatchToListeners } from '../core/api/listeners.js';
import { LiveApi } from '../core/api/live-api.js';
import { JobService } from '../core/control/jobs.js';
import { DeadLetterHandler } from '../core/engine/dead-letters.js';
import { HoldCache } from '../core/engine/holds.js';
import { StageRunner } from '../core/engine/runner.js';
import { newWorkerId } from '../core/engine/runner-kit.js';
import { Topology } from '../core/engine/topology.js';
import { WorkerPool } from '../core/engine/worker-pool.js';
import type { Backend } from '../core/ports/backend.js';
import { systemClock } from '../core/ports/clock.js';
import type { LiveChannel } from '../core/ports/live-channel.js';
import { type Logger, silentLogger } from '../core/ports/logger.js';
import type { Listener } from '../core/sdk/listener.js';
import type { Pipeline } from '../core/sdk/pipeline.js';
import { lambdaTimeoutMs } from '../core/sdk/stage.js';
import {
  type BusEnvelope,
  BusEnvelopeSchema,
  createDeadLetterHandler,
  createFanoutHandler,
  createListenersHandler,
} from '../shells/lambda/bus-handlers.js';
import { createHttpHandler } from '../shells/lambda/http-handler.js';
import { createStageHandler } from '../shells/lambda/stage-handler.js';
import { createWebSocketHandlers } from '../shells/lambda/websocket-handlers.js';
import { SqsEventSource } from './event-source.js';
import { LocalGateway } from './gateway.js';
import { freePort, type Moto, startMoto } from './moto.js';
import { DevTokens } from './tokens.js';

export type DevBackend = 'memory' | 'moto' | 'endpoint';

export interface DevRuntimeOptions {
  readonly backend: DevBackend;
  readonly pipelines: readonly Pipeline[];
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  readonly host?: string;
  /** @default .stagecoach/dev-tokens.json (created with two tenants) */
  readonly tokensFile?: string;
  /** Prefix of queue, table, bus and bucket names. @default 'dev-' */
  readonly prefix?: string;
  /** Memory backend: keep blobs in this folder (in memory when absent). */
  readonly blobDir?: string;
  readonly logger?: Logger;
  /** Routes added to the HTTP API (services built on Stagecoach add theirs). */
  readonly routes?: (context: {
    readonly jobs: JobService;
    readonly backend: Backend;
    readonly logger: Logger;
  }) => readonly Route[];
  /** The claim holding the tenant, as in the deployed API. @default 'custom:tenant_id' */
  readonly tenantClaim?: string;
  /** Listeners of the services, run on the job events as the deployed listeners function would. */
  readonly listeners?: readonly Listener[];
}

interface Running {
  stop(): Promise<void>;
}

/**
 * The whole deployment on this machine: the same handlers as in AWS, driven by a local API Gateway
 * (HTTP + WebSocket + @connections), SQS event sources that poll like Lambda's, the Fargate worker
 * pool, the dead-letter consumer and the hold sweeper — on the embedded backend, on moto_server, or
 * on any AWS-compatible endpoint (LocalStack, or an account).
 */
export class DevRuntime {
  readonly gateway: LocalGateway;
  readonly jobs: JobService;
  readonly backend: Backend;
  readonly topology: Topology;
  readonly tokens: DevTokens;
  readonly #parts: Running[];

  private constructor(parts: {
    gateway: LocalGateway;
    jobs: JobService;
    backend: Backend;
    topology: Topology;
    tokens: DevTokens;
    running: Running[];
  }) {
    this.gateway = parts.gateway;
    this.jobs = parts.jobs;
    this.backend = parts.backend;
    this.topology = parts.topology;
    this.tokens = parts.tokens;
    this.#parts = parts.running;
  }

  get url(): string {
    return this.gateway.url;
  }

  get wsUrl(): string {
    return this.gateway.wsUrl;
  }

  static async start(options: DevRuntimeOptions): Promise<DevRuntime> {
    const logger = options.logger ?? silentLogger;
    const host = options.host ?? '127.0.0.1';
    const port = options.port === 0 ? await freePort() : (options.port ?? 8787);
    const url = `http://${host}:${port}`;
    const prefix = options.prefix ?? 'dev-';
    const tokens = await DevTokens.load(resolve(options.tokensFile ?? '.stagecoach/dev-tokens.json'));
    const topology = new Topology(options.pipelines, options.backend === 'memory' ? '' : prefix);
    const running: Running[] = [];

    let backend: Backend;
    let live: LiveChannel;
    let memory: MemoryBackend | undefined;
    let moto: Moto | undefined;
    let awsConfig: AwsConfig | undefined;
    const signer = new LocalUrlSigner(url);
    if (options.backend === 'memory') {
      memory = createMemoryBackend({
        ...(options.blobDir === undefined ? {} : { blobDir: options.blobDir }),
        logger,
      });
      memory.blobs.useSigner(signer);
      for (const spec of topology.specs()) await memory.queue.ensureQueue(spec);
      backend = memory;
      live = memory.live;
    } else {
      if (options.backend === 'moto') {
        moto = await startMoto();
        running.push(moto);
      }
      const endpoint = moto?.endpoint ?? process.env.AWS_ENDPOINT_URL;
      awsConfig = {
        region: process.env.AWS_REGION ?? 'us-east-1',
        ...(endpoint === undefined ? {} : { endpoint }),
        queuePrefix: prefix,
        jobsTable: `${prefix}jobs`,
        connectionsTable: `${prefix}connections`,
        eventBus: `${prefix}bus`,
        eventSource: 'stagecoach',
        bucket: `${prefix}stagecoach-data`.toLowerCase(),
        websocketEndpoint: url,
        retentionDays: 7,
      };
      const aws = createAwsBackend(awsConfig);
      await provisionAws(awsConfig, aws.clients, aws.queue, topology.specs());
      backend = aws;
      live = aws.live ?? { post: async () => 'gone' };
    }

    const holds = new HoldCache(backend.store, systemClock, 1_000);
    const jobs = new JobService({ backend, topology, logger, holds });
    const api = new HttpApi([...jobRoutes(jobs), ...(options.routes?.({ jobs, backend, logger }) ?? [])], {
      logger,
    });
    const fanout = new LiveFanout(backend.store, live, logger);
    const gateway = new LocalGateway({
      host,
      port,
      tokens,
      tenantClaim: options.tenantClaim ?? 'custom:tenant_id',
      http: createHttpHandler(api, { tenantClaim: options.tenantClaim ?? 'custom:tenant_id' }),
      ws: createWebSocketHandlers(new LiveApi({ store: backend.store, live, jobs, logger }), logger),
      ...(options.backend === 'memory' ? { blobs: { signer, store: backend.blobs } } : {}),
      ...(memory === undefined
        ? {}
        : {
            onSocket: {
              open: (id: string, send: (data: string) => void) => memory?.live.register(id, send),
              close: (id: string) => memory?.live.unregister(id),
            },
          }),
      logger,
    });
    await gateway.start();

    // Stage consumers: Lambda stages through event sources, Fargate stages through the worker pool.
    // Like the deployed stage functions, they publish with a long linger flushed per invocation.
    const stageBackend: Backend =
      awsConfig === undefined
        ? backend
        : { ...backend, events: createAwsBackend(awsConfig, { eventLingerMs: 1_000 }).events };
    for (const pipeline of options.pipelines) {
      for (const stage of pipeline.stages.filter((s) => s.compute.kind === 'lambda')) {
        const queues = topology.stageQueues(pipeline.name, stage.name);
        const runner = new StageRunner(pipeline, stage, {
          backend,
          topology,
          workerId: newWorkerId('lambda'),
          logger,
          holds,
        });
        running.push(
          started(
            new SqsEventSource({
              name: `${pipeline.name}-${stage.name}`,
              queue: backend.queue,
              queues: [...queues.lanes].reverse(),
              handler: createStageHandler({
                runner,
                queue: backend.queue,
                events: stageBackend.events,
                logger,
              }),
              batchSize: stage.compute.batchSize,
              maxConcurrency: Math.max(2, Math.min(stage.compute.concurrency, 10)),
              functionTimeoutMs: lambdaTimeoutMs(stage.timeoutMs),
              logger,
            }),
          ),
        );
      }
    }
    const pool = new WorkerPool({
      backend,
      topology,
      stages: (_p, s) => s.compute.kind === 'fargate',
      deadLetters: false,
      holds,
      logger,
    });
    pool.start();
    running.push({ stop: () => pool.stop({ timeoutMs: 5_000 }) });
    running.push(
      started(
        new SqsEventSource({
          name: 'dead-letters',
          queue: backend.queue,
          queues: topology.all().map((q) => q.dlq),
          handler: createDeadLetterHandler(new DeadLetterHandler({ backend, topology, logger })),
          functionTimeoutMs: 60_000,
          logger,
        }),
      ),
    );
    running.push(await startFanout(memory, backend, awsConfig, fanout, logger));
    running.push(await startListeners(options.listeners ?? [], memory, backend, awsConfig, logger));
    const sweeper = setInterval(() => {
      jobs.releaseExpiredHolds().catch((error: unknown) => logger.warn('hold sweep failed', { error }));
    }, 5_000);
    sweeper.unref();
    running.push({ stop: async () => clearInterval(sweeper) });
    running.push({ stop: () => gateway.stop() });
    logger.info('dev runtime started', { backend: options.backend, url: gateway.url, ws: gateway.wsUrl });
    return new DevRuntime({ gateway, jobs, backend, topology, tokens, running });
  }

  async stop(): Promise<void> {
    // Stop consumers first, then the gateway, then the emulator (reverse of start).
    for (const part of [...this.#parts].reverse()) {
      await part.stop().catch(() => undefined);
    }
    await this.backend.events.flush().catch(() => undefined);
  }
}

function started(source: SqsEventSource): Running {
  source.start();
  return source;
}

/**
 * Lifecycle events to WebSocket subscribers. On the embedded backend the fan-out subscribes to the
 * in-process bus; on AWS it is what the stack does: an EventBridge rule targets a queue, and the
 * fan-out handler consumes it like the Lambda target would.
 */
async function startFanout(
  memory: MemoryBackend | undefined,
  backend: Backend,
  config: AwsConfig | undefined,
  fanout: LiveFanout,
  logger: Logger,
): Promise<Running> {
  if (memory !== undefined || config === undefined) {
    const unsubscribe = memory?.events.subscribe((event) => fanout.deliver(event).then(() => undefined));
    const unsubscribeService = memory?.events.subscribeService((event) =>
      fanout.deliverService(event).then(() => undefined),
    );
    return {
      stop: async () => {
        unsubscribe?.();
        unsubscribeService?.();
      },
    };
  }
  return consumeRule(
    backend,
    config,
    'fanout',
    { source: [config.eventSource] },
    createFanoutHandler(fanout, logger),
    logger,
  );
}

/**
 * Listeners on the job events. On the embedded backend they subscribe to the bus; on AWS, as in the
 * stack, an EventBridge rule for their pipelines' events feeds them (here through a queue).
 */
async function startListeners(
  listeners: readonly Listener[],
  memory: MemoryBackend | undefined,
  backend: Backend,
  config: AwsConfig | undefined,
  logger: Logger,
): Promise<Running> {
  if (listeners.length === 0) return { stop: async () => undefined };
  const ctx = { backend, logger };
  if (memory !== undefined || config === undefined) {
    const unsubscribe = memory?.events.subscribe((event) =>
      dispatchToListeners(listeners, event, ctx).then(() => undefined),
    );
    return { stop: async () => unsubscribe?.() };
  }
  const pipelines = [...new Set(listeners.flatMap((l) => l.pipelines))];
  const pattern = { source: [config.eventSource], detail: { pipeline: pipelines } };
  return consumeRule(backend, config, 'listeners', pattern, createListenersHandler(listeners, ctx), logger);
}

/** An EventBridge rule on the bus targeting a queue, consumed like a Lambda target. */
async function consumeRule(
  backend: Backend,
  config: AwsConfig,
  name: string,
  pattern: Record<string, unknown>,
  handle: (event: BusEnvelope) => Promise<unknown>,
  logger: Logger,
): Promise<Running> {
  const queueName = `${config.queuePrefix}${name}`;
  await routeBusToQueue(createAwsBackend(config).clients, config, queueName, pattern);
  return started(
    new SqsEventSource({
      name,
      queue: backend.queue,
      queues: [queueName],
      handler: async (event: SQSEvent) => {
        const failures: { itemIdentifier: string }[] = [];
        for (const record of event.Records) {
          try {
            await handle(BusEnvelopeSchema.parse(JSON.parse(record.body)));
          } catch {
            failures.push({ itemIdentifier: record.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
      functionTimeoutMs: 30_000,
      logger,
    }),
  );
}
