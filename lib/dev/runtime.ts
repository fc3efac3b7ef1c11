import { resolve } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import {
  type AwsBackend,
  type AwsConfig,
  createAwsBackend,
  provisionAws,
  routeBusToQueue,
} from '../adapters/aws/index.js';
import { createMemoryBackend, LocalUrlSigner, type MemoryBackend } from '../adapters/memory/index.js';
import type { ApiLimits, LiveFanout, Service } from '../core/api/index.js';
import { dispatchToListeners } from '../core/api/index.js';
import type { JobService, LimitsConfig } from '../core/control/index.js';
import type { Topology } from '../core/engine/index.js';
import type { Backend, LiveChannel } from '../core/ports/index.js';
import { type Logger, silentLogger } from '../core/ports/index.js';
import type { Listener } from '../core/sdk/index.js';
import { TENANT_CLAIM } from '../shells/config.js';
import { Deployment } from '../shells/deployment.js';
import {
  type BusEnvelope,
  BusEnvelopeSchema,
  createDeadLetterHandler,
  createFanoutHandler,
  createListenersHandler,
  createSweeper,
} from '../shells/lambda/bus-handlers.js';
import { createHttpHandler } from '../shells/lambda/http-handler.js';
import { createStageHandler } from '../shells/lambda/stage-handler.js';
import { createWebSocketHandlers } from '../shells/lambda/websocket-handlers.js';
import { SqsEventSource } from './event-source.js';
import { LocalGateway } from './gateway.js';
import { type LaneSource, lambdaLaneSources } from './lane-sources.js';
import { freePort, type Moto, startMoto } from './moto.js';
import { DEV_RECONCILE_GRACE_MS, StateFile } from './state-file.js';
import { DevTokens } from './tokens.js';

export type DevBackend = 'memory' | 'moto' | 'endpoint';

export interface DevRuntimeOptions {
  readonly backend: DevBackend;
  /** The services to run (from lib/pipelines/registry.ts): their pipelines, listeners and routes. */
  readonly services: readonly Service[];
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  readonly host?: string;
  /** @default .stagecoach/dev-tokens.json (created with two tenants) */
  readonly tokensFile?: string;
  /**
   * The 'endpoint' backend's AWS-compatible endpoint (a test passes the shared moto_server's).
   * @default AWS_ENDPOINT_URL, or AWS itself when that is unset
   */
  readonly endpoint?: string;
  /** Prefix of queue, table, bus and bucket names. @default 'dev-' */
  readonly prefix?: string;
  /** Memory backend: keep blobs in this folder (in memory when absent). */
  readonly blobDir?: string;
  /**
   * Memory backend: keep jobs, holds, dead letters and records in this JSON file across restarts
   * (in memory only when absent).
   */
  readonly stateFile?: string;
  /** Per-tenant limits: submits per minute, jobs running each stage at once (as STAGECOACH_LIMITS). */
  readonly tenantLimits?: LimitsConfig;
  readonly logger?: Logger;
  /** The claim holding the tenant, as in the deployed API. @default 'custom:tenant_id' */
  readonly tenantClaim?: string;
  /** The gateway's limits (lib/core/api/limits.ts), for a test that needs them small. */
  readonly limits?: Partial<ApiLimits>;
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
  readonly deployment: Deployment;
  readonly tokens: DevTokens;
  /** The Lambda stages' event sources, one per lane, as the stack creates them. */
  readonly laneSources: readonly LaneSource[];
  readonly #parts: Running[];

  private constructor(parts: {
    gateway: LocalGateway;
    deployment: Deployment;
    tokens: DevTokens;
    laneSources: readonly LaneSource[];
    running: Running[];
  }) {
    this.gateway = parts.gateway;
    this.deployment = parts.deployment;
    this.tokens = parts.tokens;
    this.laneSources = parts.laneSources;
    this.#parts = parts.running;
  }

  get jobs(): JobService {
    return this.deployment.jobs;
  }

  get backend(): Backend {
    return this.deployment.backend;
  }

  get topology(): Topology {
    return this.deployment.topology;
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
    const prefix = options.backend === 'memory' ? '' : (options.prefix ?? 'dev-');
    const tenantClaim = options.tenantClaim ?? TENANT_CLAIM;
    const tokens = await DevTokens.load(resolve(options.tokensFile ?? '.stagecoach/dev-tokens.json'));
    const running: Running[] = [];

    let backend: Backend;
    let live: LiveChannel;
    let memory: MemoryBackend | undefined;
    let restored = 0;
    let awsConfig: AwsConfig | undefined;
    let aws: AwsBackend | undefined;
    const signer = new LocalUrlSigner(url);
    if (options.backend === 'memory') {
      memory = createMemoryBackend({
        ...(options.blobDir === undefined ? {} : { blobDir: options.blobDir }),
        logger,
      });
      memory.blobs.useSigner(signer);
      if (options.stateFile !== undefined) {
        const state = new StateFile(options.stateFile, memory, logger);
        restored = await state.load();
        state.start();
        running.push({ stop: () => state.stop() });
      }
      backend = memory;
      live = memory.live;
    } else {
      let moto: Moto | undefined;
      if (options.backend === 'moto') {
        moto = await startMoto();
        running.push(moto);
      }
      const endpoint = moto?.endpoint ?? options.endpoint ?? process.env.AWS_ENDPOINT_URL;
      awsConfig = devAwsConfig(prefix, url, endpoint);
      aws = createAwsBackend(awsConfig);
      backend = aws;
      live = aws.live ?? { post: async () => 'gone' };
    }
    // One deployment, as every function builds it; the stage consumers below publish through their
    // own (long-linger) publisher flushed per invocation, like the deployed stage functions.
    const deployment = new Deployment({
      backend,
      services: options.services,
      prefix,
      logger,
      holdCacheMs: 1_000,
      // One process sees its queues exactly: a job unmoved for seconds with an empty queue has lost
      // its message (a restart with --state loses every queued one), so it gets it back soon.
      reconcile: { graceMs: DEV_RECONCILE_GRACE_MS },
      ...(options.tenantLimits === undefined ? {} : { limits: options.tenantLimits }),
    });
    if (restored > 0) logger.info('restored the dev state', { jobs: restored, file: options.stateFile });
    if (aws !== undefined) {
      await provisionAws(aws.config, aws.clients, aws.queue, deployment.topology.specs());
    } else {
      await deployment.ensureQueues();
    }
    const stages =
      awsConfig === undefined
        ? deployment
        : new Deployment({
            backend: { ...backend, events: createAwsBackend(awsConfig, { eventLingerMs: 1_000 }).events },
            services: options.services,
            prefix,
            logger,
            holdCacheMs: 1_000,
            ...(options.tenantLimits === undefined ? {} : { limits: options.tenantLimits }),
          });

    const gateway = new LocalGateway({
      host,
      port,
      tokens,
      tenantClaim,
      http: createHttpHandler(deployment.httpApi(), { tenantClaim }),
      ws: createWebSocketHandlers(deployment.liveApi(live), logger),
      ...(memory === undefined ? {} : { blobs: { signer, store: backend.blobs } }),
      ...(memory === undefined
        ? {}
        : {
            onSocket: {
              open: (id: string, send: (data: string) => void) => memory?.live.register(id, send),
              close: (id: string) => memory?.live.unregister(id),
            },
          }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      logger,
    });
    await gateway.start();

    // Stage consumers: Lambda stages through event sources, one per lane as in the stack, Fargate
    // stages through the worker pool.
    const lanes = lambdaLaneSources(deployment.pipelines, deployment.topology);
    for (const stageSources of lanes) {
      const [first] = stageSources;
      if (first === undefined) continue;
      // One runner and one handler per stage: every lane's source invokes the same function.
      const runner = stages.runner(first.pipeline, first.stage);
      const handler = createStageHandler({
        runner,
        queue: backend.queue,
        events: stages.backend.events,
        logger,
      });
      const sources = stageSources.map(
        (lane) =>
          new SqsEventSource({
            name: lane.functionName,
            queue: backend.queue,
            queues: [lane.queue],
            interrupt: () => runner.interrupt('The dev runtime is stopping.'),
            handler,
            batchSize: lane.batchSize,
            maxConcurrency: lane.maxConcurrency,
            functionTimeoutMs: lane.functionTimeoutMs,
            logger,
          }),
      );
      for (const source of sources) source.start();
      // Stopped together: each waits its grace before interrupting the shared runner, so one after
      // the other would add a grace per lane and interrupt lanes that are still polling.
      running.push({
        stop: async () => {
          await Promise.all(sources.map((source) => source.stop()));
        },
      });
    }
    const pool = deployment.pool({ stages: (_p, s) => s.compute.kind === 'fargate', deadLetters: false });
    pool.start();
    running.push({ stop: () => pool.stop({ timeoutMs: 5_000 }) });
    running.push(
      started(
        new SqsEventSource({
          name: 'dead-letters',
          queue: backend.queue,
          queues: deployment.topology.all().map((q) => q.dlq),
          handler: createDeadLetterHandler(deployment.deadLetters()),
          functionTimeoutMs: 60_000,
          logger,
        }),
      ),
    );
    running.push(await startFanout(memory, backend, awsConfig, deployment.fanout(live), logger));
    running.push(await startListeners(deployment.listeners, memory, backend, awsConfig, logger));
    const sweep = createSweeper(deployment);
    const sweeper = setInterval(() => {
      sweep().catch((error: unknown) => logger.warn('upkeep failed (hold sweep, reconciler)', { error }));
    }, 5_000);
    sweeper.unref();
    running.push({ stop: async () => clearInterval(sweeper) });
    running.push({ stop: () => gateway.stop() });
    logger.info('dev runtime started', { backend: options.backend, url: gateway.url, ws: gateway.wsUrl });
    return new DevRuntime({ gateway, deployment, tokens, laneSources: lanes.flat(), running });
  }

  async stop(): Promise<void> {
    // Stop consumers first, then the gateway, then the emulator (reverse of start).
    for (const part of [...this.#parts].reverse()) {
      await part.stop().catch(() => undefined);
    }
    await this.backend.events.flush().catch(() => undefined);
  }
}

/**
 * The names the dev runtime gives its tables, bus, bucket and queues on an AWS backend — exported
 * so a test can reach the same resources before the runtime starts (a backlog built up front).
 */
export function devAwsConfig(prefix: string, url: string, endpoint: string | undefined): AwsConfig {
  return {
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
