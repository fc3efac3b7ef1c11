import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBackend, type MemoryBackend } from '../../../../lib/adapters/memory/index.js';
import { HttpApi, jobRoutes, LiveApi, LiveFanout } from '../../../../lib/core/api/index.js';
import { JobService } from '../../../../lib/core/control/index.js';
import { DeadLetterHandler, StageRunner, Topology } from '../../../../lib/core/engine/index.js';
import {
  envelopeOf,
  ManualClock,
  serializeEnvelope,
  silentLogger,
} from '../../../../lib/core/ports/index.js';
import { definePipeline, defineStage } from '../../../../lib/core/sdk/index.js';
import {
  createDeadLetterHandler,
  createFanoutHandler,
  createSweeper,
} from '../../../../lib/shells/lambda/bus-handlers.js';
import { callerFromClaims, createHttpHandler } from '../../../../lib/shells/lambda/http-handler.js';
import { createStageHandler } from '../../../../lib/shells/lambda/stage-handler.js';
import {
  createWebSocketAuthorizer,
  createWebSocketHandlers,
} from '../../../../lib/shells/lambda/websocket-handlers.js';
import { envelope, jobEvent } from '../../../support/factories.js';
import {
  authorizerEvent,
  httpEvent,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  wsEvent,
} from '../../../support/lambda-events.js';

const one = defineStage({ name: 'one', inputs: {}, outputs: ['n'], process: () => ({ n: 1 }) });
const two = defineStage({ name: 'two', inputs: {}, outputs: [], process: () => ({}) });
const pipeline = definePipeline({ name: 'p', stages: [one, two] });
const claims = { 'custom:tenant_id': 'tenant-a', sub: 'alice' };
const caller = { tenantId: 'tenant-a' };

let backend: MemoryBackend;
let topology: Topology;
let jobs: JobService;

beforeEach(async () => {
  backend = createMemoryBackend();
  topology = new Topology([pipeline]);
  for (const spec of topology.specs()) await backend.queue.ensureQueue(spec);
  jobs = new JobService({ backend, topology });
});

describe('stage handler', () => {
  it('runs each record and reports only released ones as batch item failures', async () => {
    // Prepare: one fresh job; one already RUNNING under another worker's live lease (its copy is
    // deleted); and a message whose job is not written yet (given back to wait for it).
    const fresh = await jobs.submit({ pipeline: 'p' }, caller);
    const busy = await jobs.submit({ pipeline: 'p' }, caller);
    await backend.store.transition(caller.tenantId, busy.job_id, {
      expect: {},
      set: { status: 'RUNNING', lease: { owner: 'other', expires_at: Date.now() + 60_000 } },
    });
    const early = envelope({ pipeline: 'p', entry_stage: 'one', exit_stage: 'two', stage: 'one' });
    await backend.queue.send('p-one', [{ body: serializeEnvelope(early) }]);
    const [m1, m2, m3] = await backend.queue.receive('p-one', { maxMessages: 10, waitTimeMs: 0 });
    const outcomes: string[] = [];
    const handler = createStageHandler({
      runner: new StageRunner(pipeline, one, { backend, topology, workerId: 'lambda-1' }),
      queue: backend.queue,
      events: backend.events,
      logger: silentLogger,
      onOutcome: (o) => outcomes.push(o),
    });
    const records = [m1, m2, m3].map((m) =>
      sqsRecord('p-one', m?.body ?? '', {
        receiptHandle: m?.receiptHandle ?? '',
        messageId: m?.messageId ?? '',
      }),
    );
    // Act
    const response = await handler(sqsEvent(...records), lambdaContext());
    // Assess
    const earlyRecord = records.find((r) => JSON.parse(r.body).job_id === early.job_id);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: earlyRecord?.messageId }]);
    expect(outcomes.sort()).toEqual(['busy', 'forwarded', 'waiting']);
    expect((await jobs.get(fresh.job_id, caller)).stage).toBe('two');
  });

  it('gives running stages back before the Lambda deadline', async () => {
    const slow = defineStage({
      name: 'one',
      inputs: {},
      outputs: [],
      process: (_i, ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    });
    const job = await jobs.submit({ pipeline: 'p' }, caller);
    const [m] = await backend.queue.receive('p-one', { maxMessages: 1, waitTimeMs: 0 });
    const handler = createStageHandler({
      runner: new StageRunner(pipeline, slow, { backend, topology, workerId: 'lambda-1' }),
      queue: backend.queue,
      events: backend.events,
      logger: silentLogger,
    });
    const record = sqsRecord('p-one', m?.body ?? '', { receiptHandle: m?.receiptHandle ?? '' });
    const response = await handler(sqsEvent(record), lambdaContext(15_100));
    expect(response.batchItemFailures).toHaveLength(1);
    // Interrupted before it was claimed: the job was never touched, and the message goes back.
    expect((await jobs.get(job.job_id, caller)).status).toBe('QUEUED');
    expect((await jobs.get(job.job_id, caller)).version).toBe(1);
    expect(await jobs.attempts(job.job_id, caller)).toEqual([]);
  });
});

describe('stage handler and a stage that ignores its AbortSignal', () => {
  it('waits for it until the deadline, then ends the instance so it never runs beside a takeover', async () => {
    // Prepare: a stage that never looks at its signal and runs until released
    let release: (() => void) | undefined;
    const stubborn = defineStage({
      name: 'one',
      inputs: {},
      outputs: [],
      process: () =>
        new Promise<Record<string, never>>((resolve) => {
          release = () => resolve({});
        }),
    });
    const job = await jobs.submit({ pipeline: 'p' }, caller);
    const [m] = await backend.queue.receive('p-one', { maxMessages: 1, waitTimeMs: 0 });
    const exits: number[] = [];
    const runner = new StageRunner(pipeline, stubborn, {
      backend,
      topology,
      workerId: 'lambda-1',
      cancelGraceMs: 50,
    });
    const handler = createStageHandler({
      runner,
      queue: backend.queue,
      events: backend.events,
      logger: silentLogger,
      exit: (code) => exits.push(code),
    });
    const record = sqsRecord('p-one', m?.body ?? '', { receiptHandle: m?.receiptHandle ?? '' });
    // Act: the invocation's deadline interrupts the stage, which keeps running
    const first = await handler(sqsEvent(record), lambdaContext(15_200)).catch((e: unknown) => e);
    const next = await handler(sqsEvent(record), lambdaContext(60_000)).catch((e: unknown) => e);
    release?.();
    await runner.settled();
    // Assess: the instance ended at the deadline, and a thawed one refuses work while it runs
    expect(first).toBeInstanceOf(Error);
    expect(next).toBeInstanceOf(Error);
    expect(exits).toEqual([1, 1]);
    expect(runner.zombies).toBe(0);
    expect((await jobs.get(job.job_id, caller)).status).toBe('QUEUED');
  });
});

describe('HTTP handler', () => {
  const handler = () => createHttpHandler(new HttpApi(jobRoutes(jobs)));

  it('takes the tenant from the JWT claims and answers JSON', async () => {
    const created = await handler()(
      httpEvent('POST', '/jobs', { body: { pipeline: 'p', params: { x: 1 } }, claims }),
    );
    const body = JSON.parse(created.body ?? '{}');
    const fetched = await handler()(httpEvent('GET', `/jobs/${body.job_id}`, { claims }));
    expect(created.statusCode).toBe(201);
    expect(body).toMatchObject({ pipeline: 'p', status: 'QUEUED', tenant_id: 'tenant-a', params: { x: 1 } });
    expect(body.lease).toBeUndefined();
    expect(fetched.statusCode).toBe(200);
    expect(created.headers?.['content-type']).toBe('application/json');
  });

  it('answers 401 without a tenant claim, 404 for another tenant’s job, 400 with the problem', async () => {
    const job = await jobs.submit({ pipeline: 'p' }, caller);
    const anonymous = await handler()(httpEvent('GET', '/jobs', {}));
    const other = await handler()(
      httpEvent('GET', `/jobs/${job.job_id}`, { claims: { 'custom:tenant_id': 'tenant-b' } }),
    );
    const bad = await handler()(
      httpEvent('POST', '/jobs', { body: { pipeline: 'p', priority: 42 }, claims }),
    );
    expect(anonymous.statusCode).toBe(401);
    expect(other.statusCode).toBe(404);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body ?? '{}').error.message).toMatch(/priority: Too big/);
  });

  it('reads the caller from claims only when the tenant claim is a non-empty string', () => {
    expect(callerFromClaims({ 'custom:tenant_id': 't', sub: 'u' }, 'custom:tenant_id')).toEqual({
      tenantId: 't',
      userId: 'u',
    });
    expect(callerFromClaims({ 'custom:tenant_id': '' }, 'custom:tenant_id')).toBeUndefined();
    expect(callerFromClaims(undefined, 'custom:tenant_id')).toBeUndefined();
  });
});

describe('WebSocket handlers and authorizer', () => {
  it('connects only with a tenant, subscribes to own jobs, and replies through the channel', async () => {
    const sent: string[] = [];
    backend.live.register('c1', (data) => void sent.push(data));
    const live = new LiveApi({ store: backend.store, live: backend.live, jobs });
    const ws = createWebSocketHandlers(live, silentLogger);
    const mine = await jobs.submit({ pipeline: 'p' }, caller);
    const theirs = await jobs.submit({ pipeline: 'p' }, { tenantId: 'tenant-b' });

    expect((await ws.connect(wsEvent('$connect', 'c0'))) as { statusCode: number }).toMatchObject({
      statusCode: 401,
    });
    await ws.connect(wsEvent('$connect', 'c1', { tenant: 'tenant-a' }));
    await ws.message(
      wsEvent('$default', 'c1', { body: JSON.stringify({ action: 'subscribe', job_id: mine.job_id }) }),
    );
    await ws.message(
      wsEvent('$default', 'c1', { body: JSON.stringify({ action: 'subscribe', job_id: theirs.job_id }) }),
    );
    await ws.message(wsEvent('$default', 'c1', { body: 'not json' }));
    await ws.disconnect(wsEvent('$disconnect', 'c1'));

    const replies = sent.map((s) => JSON.parse(s));
    expect(replies[0]).toEqual({ type: 'subscribed', topic: `job:tenant-a/${mine.job_id}` });
    expect(replies[1]).toMatchObject({ type: 'error', code: 'JOB_NOT_FOUND' });
    expect(replies[2]).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(await backend.store.getConnection('c1')).toBeUndefined();
    expect(await backend.store.subscribers(`job:tenant-a/${mine.job_id}`)).toEqual([]);
  });

  it('authorizes a valid token with its tenant in the context and rejects the rest', async () => {
    const authorize = createWebSocketAuthorizer(async (token) => {
      if (token !== 'good') throw new Error('bad signature');
      return { tenantId: 'tenant-a', userId: 'alice' };
    }, silentLogger);
    const allowed = await authorize(authorizerEvent('good'));
    expect(allowed.context).toEqual({ tenant_id: 'tenant-a', user_id: 'alice' });
    expect(allowed.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    await expect(authorize(authorizerEvent('bad'))).rejects.toThrow('Unauthorized');
    await expect(authorize(authorizerEvent(undefined))).rejects.toThrow('Unauthorized');
  });
});

describe('bus handlers', () => {
  it('fans a job event out to its subscribers and ignores foreign events', async () => {
    const sent: string[] = [];
    backend.live.register('c1', (data) => void sent.push(data));
    await backend.store.subscribe({ connection_id: 'c1', topic: 'tenant:tenant-a', tenant_id: 'tenant-a' });
    const handler = createFanoutHandler(new LiveFanout(backend.store, backend.live), silentLogger);
    const event = jobEvent({ job_id: 'j1', tenant_id: 'tenant-a', pipeline: 'p' });
    const bridge = (detail: unknown) => ({
      version: '0',
      id: 'e',
      'detail-type': 'job.created',
      source: 'stagecoach',
      account: '0',
      time: '',
      region: 'us-east-1',
      resources: [],
      detail,
    });
    expect(await handler(bridge(event))).toEqual({ delivered: 1 });
    expect(await handler(bridge({ something: 'else' }))).toEqual({ delivered: 0 });
    expect(JSON.parse(sent[0] ?? '{}')).toEqual({ type: 'event', event });
  });

  it('records dead letters from the DLQs and fails the job of a redriven message', async () => {
    const job = await jobs.submit({ pipeline: 'p' }, caller);
    const handler = createDeadLetterHandler(new DeadLetterHandler({ backend, topology }));
    const response = await handler(
      sqsEvent(sqsRecord('p-one-dlq', serializeEnvelope(envelopeOf(job)))),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect((await jobs.get(job.job_id, caller)).status).toBe('FAILED');
    expect(
      (await backend.store.listDeadLetters({ tenant_id: caller.tenantId, job_id: job.job_id })).items,
    ).toHaveLength(1);
  });

  it('sweeps expired holds', async () => {
    const clock = new ManualClock();
    const timed = new JobService({ backend, topology, clock });
    await timed.setHold(caller, { selector: { a: 'b' }, ttl_s: 1 });
    clock.advance(1_001);
    expect(
      await createSweeper({ maintain: async () => ({ released: await timed.releaseExpiredHolds() }) })(),
    ).toEqual({
      released: 0,
    });
    expect(await jobs.listHolds(caller)).toEqual([]);
  });
});
