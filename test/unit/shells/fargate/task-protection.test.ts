import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../../lib/adapters/aws/index.js';
import { type LogFields, type Logger, silentLogger } from '../../../../lib/core/ports/index.js';
import { protectReceivedMessages, TaskProtection } from '../../../../lib/shells/fargate/task-protection.js';
import { awsTestConfig, motoEndpoint } from '../../../contract/aws-harness.js';

/** The ECS agent's task-protection endpoint, as far as the worker uses it: it records every PUT. */
class FakeAgent {
  readonly calls: { readonly path: string; readonly body: unknown }[] = [];
  fail = false;
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        this.calls.push({ path: `${req.method} ${req.url}`, body: JSON.parse(body || 'null') });
        if (this.fail) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"failure":{"Reason":"TASK_NOT_VALID"}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ protection: { ProtectionEnabled: JSON.parse(body).ProtectionEnabled } }));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/task-id`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) =>
      this.#server === undefined ? resolve() : this.#server.close(() => resolve()),
    );
  }

  get states(): unknown[] {
    return this.calls.map((call) => call.body);
  }
}

/** Timers the test fires by hand. */
class ManualTimers {
  readonly pending: { run: () => void; ms: number; cancelled: boolean }[] = [];
  readonly schedule = (run: () => void, ms: number): (() => void) => {
    const timer = { run, ms, cancelled: false };
    this.pending.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };

  /** Fires the live timers of this duration. */
  fire(ms: number): void {
    for (const timer of this.pending.splice(0)) {
      if (timer.cancelled) continue;
      if (timer.ms === ms) timer.run();
      else this.pending.push(timer);
    }
  }

  live(ms: number): number {
    return this.pending.filter((t) => !t.cancelled && t.ms === ms).length;
  }
}

class RecordingLogger implements Logger {
  readonly warnings: { message: string; fields?: LogFields }[] = [];
  debug(): void {}
  info(): void {}
  warn(message: string, fields?: LogFields): void {
    this.warnings.push({ message, ...(fields === undefined ? {} : { fields }) });
  }
  error(): void {}
  child(): Logger {
    return this;
  }
}

const ENABLE = { ProtectionEnabled: true, ExpiresInMinutes: 60 };
const DISABLE = { ProtectionEnabled: false };
const RELEASE_MS = 2_000;
const RENEW_MS = 30 * 60_000;

describe('TaskProtection', () => {
  const agent = new FakeAgent();
  let agentUri: string;

  beforeAll(async () => {
    agentUri = await agent.start();
  });
  afterAll(() => agent.stop());

  it('protects the task before work starts and removes the protection once the last message is done', async () => {
    // Prepare
    agent.calls.length = 0;
    const timers = new ManualTimers();
    const protection = new TaskProtection({ agentUri, logger: silentLogger, schedule: timers.schedule });

    // Act
    await protection.acquire(2);
    const whileWorking = [...agent.states];
    protection.release();
    protection.release();
    const beforeDelay = [...agent.states];
    timers.fire(RELEASE_MS);
    await protection.settled();

    // Assess
    expect(agent.calls[0]?.path).toBe('PUT /api/task-id/task-protection/v1/state');
    expect(whileWorking).toEqual([ENABLE]);
    expect(beforeDelay).toEqual([ENABLE]);
    expect(agent.states).toEqual([ENABLE, DISABLE]);
    expect(protection.protected).toBe(false);
  });

  it('keeps the protection when new work arrives within the release delay', async () => {
    // Prepare
    agent.calls.length = 0;
    const timers = new ManualTimers();
    const protection = new TaskProtection({ agentUri, logger: silentLogger, schedule: timers.schedule });
    await protection.acquire(1);

    // Act
    protection.release();
    await protection.acquire(1);
    timers.fire(RELEASE_MS);
    await protection.settled();

    // Assess: one call, still protected, one message in work
    expect(agent.states).toEqual([ENABLE]);
    expect(protection.protected).toBe(true);
    expect(protection.inWork).toBe(1);
  });

  it('renews the protection at half its lifetime while work remains, and not after', async () => {
    // Prepare
    agent.calls.length = 0;
    const timers = new ManualTimers();
    const protection = new TaskProtection({ agentUri, logger: silentLogger, schedule: timers.schedule });
    await protection.acquire(1);

    // Act
    timers.fire(RENEW_MS);
    await protection.settled();
    protection.release();
    timers.fire(RELEASE_MS);
    await protection.settled();
    timers.fire(RENEW_MS);
    await protection.settled();

    // Assess
    expect(agent.states).toEqual([ENABLE, ENABLE, DISABLE]);
    expect(timers.live(RENEW_MS)).toBe(0);
  });

  it('logs an agent that refuses and lets the work go on', async () => {
    // Prepare
    agent.calls.length = 0;
    agent.fail = true;
    const logger = new RecordingLogger();
    const protection = new TaskProtection({ agentUri, logger, schedule: new ManualTimers().schedule });

    // Act
    try {
      await protection.acquire(1);
    } finally {
      agent.fail = false;
    }

    // Assess
    expect(protection.protected).toBe(false);
    expect(protection.inWork).toBe(1);
    expect(logger.warnings.map((w) => w.message)).toEqual(['task protection was not changed']);
    expect(String(logger.warnings[0]?.fields?.answer)).toContain('TASK_NOT_VALID');
  });

  it('does nothing outside ECS', async () => {
    // Prepare
    const protection = new TaskProtection({ agentUri: undefined, logger: silentLogger });

    // Act
    await protection.acquire(3);
    protection.release(3);

    // Assess
    expect(protection.active).toBe(false);
    expect(protection.inWork).toBe(0);
  });
});

const endpoint = motoEndpoint();

describe.skipIf(endpoint === undefined)('protectReceivedMessages on moto_server', () => {
  const agent = new FakeAgent();

  afterAll(() => agent.stop());

  it('counts every received message into work and protects the task before the receive returns', async () => {
    // Prepare
    const agentUri = await agent.start();
    const config = awsTestConfig(endpoint ?? '');
    const { sqs } = createClients(config);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${config.queuePrefix}work` }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['a', 'b', 'c'].map((id) => ({ Id: id, MessageBody: id })),
      }),
    );
    const protection = new TaskProtection({
      agentUri,
      logger: silentLogger,
      schedule: new ManualTimers().schedule,
    });
    protectReceivedMessages(sqs, protection);

    // Act
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const statesAtReturn = [...agent.states];
    const empty = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );

    // Assess
    expect(received.Messages).toHaveLength(3);
    expect(empty.Messages ?? []).toHaveLength(0);
    expect(protection.inWork).toBe(3);
    expect(statesAtReturn).toEqual([ENABLE]);
    expect(agent.states).toEqual([ENABLE]);
  });
});
