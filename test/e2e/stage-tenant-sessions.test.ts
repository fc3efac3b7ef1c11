import { S3Client } from '@aws-sdk/client-s3';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AwsBackend, createAwsBackend, provisionAws } from '../../lib/adapters/aws/index.js';
import { JobService } from '../../lib/core/control/index.js';
import { Topology } from '../../lib/core/engine/index.js';
import { registry } from '../../lib/pipelines/registry.js';
import { ENV, resourcesToEnv } from '../../lib/shells/config.js';
import { stageFunction } from '../../lib/shells/lambda/fn/stage.js';
import { awsTestConfig, motoEndpoint } from '../contract/aws-harness.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/lambda-events.js';

// A real job through the real stage functions (functions/stage.ts: cold start from the
// environment, Powertools, the SQS batch handler) on moto_server, with token vending on: every
// stage's ctx.storage runs on the job's tenant's session. moto does not enforce IAM, so this shows
// the wiring — the tagged AssumeRole, every S3 request signed with the session's key, the objects
// under the tenant's prefix; test/infra/tenant-access.test.ts shows what IAM allows and denies.

const endpoint = motoEndpoint();
const ROLE = 'arn:aws:iam::123456789012:role/stagecoach-tenant-access';
const TENANT = 'tenant-s';
const services = registry.select(['wordcount']);
const pipelines = services.flatMap((s) => s.pipelines);

/** Any command an S3 or STS client sends. */
type S3Command = Parameters<S3Client['send']>[0];
type StsCommand = Parameters<STSClient['send']>[0];

/** The access key of an AssumeRole answer. */
function accessKeyOf(out: object): string {
  const answer: Partial<AssumeRoleCommandOutput> = out;
  return answer.Credentials?.AccessKeyId ?? '';
}

/** What the SDK clients were asked, and with which access key (recorded by spies on send). */
interface S3Call {
  readonly command: string;
  readonly key: string | undefined;
  readonly accessKeyId: string;
}

describe.skipIf(endpoint === undefined)('stage functions on tenant sessions (moto_server)', () => {
  let base: AwsBackend;
  let topology: Topology;
  let jobs: JobService;
  const assumed: AssumeRoleCommandInput[] = [];
  const issued: string[] = [];
  const s3Calls: Promise<S3Call>[] = [];
  /** Only the stage functions' requests count, not the test's own. */
  let recording = false;

  beforeAll(async () => {
    // Prepare: fresh resources, the environment a deployed stage function gets, and spies on the
    // STS and S3 clients' send (they call through to moto).
    const config = awsTestConfig(endpoint ?? '');
    base = createAwsBackend(config, { eventLingerMs: 5 });
    topology = new Topology(pipelines, config.queuePrefix);
    await provisionAws(config, base.clients, base.queue, topology.specs());
    jobs = new JobService({ backend: base, topology });
    const env = {
      ...resourcesToEnv({ ...config, services: ['wordcount'] }),
      [ENV.region]: config.region,
      [ENV.endpoint]: config.endpoint ?? '',
      [ENV.tenantRoleArn]: ROLE,
      [ENV.logLevel]: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    // The spies record, then call the SDK's own send (they replace it on the subclass prototypes).
    const stsSend: (this: STSClient, command: StsCommand) => Promise<object> = STSClient.prototype.send;
    vi.spyOn(STSClient.prototype, 'send').mockImplementation(async function (this: STSClient, command) {
      if (command instanceof AssumeRoleCommand) assumed.push({ ...command.input });
      const out = await stsSend.call(this, command);
      if (command instanceof AssumeRoleCommand) issued.push(accessKeyOf(out));
      return out;
    });
    const s3Send: (this: S3Client, command: S3Command) => Promise<object> = S3Client.prototype.send;
    vi.spyOn(S3Client.prototype, 'send').mockImplementation(async function (this: S3Client, command) {
      if (recording) {
        const key = 'Key' in command.input ? String(command.input.Key) : undefined;
        s3Calls.push(
          this.config
            .credentials()
            .then((c) => ({ command: command.constructor.name, key, accessKeyId: c.accessKeyId })),
        );
      }
      return s3Send.call(this, command);
    });
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("runs every stage of a wordcount job on the job's tenant's session, under the tenant's prefix", async () => {
    // Prepare: one stage function per stage, each built from its own environment.
    const handlers = new Map<string, ReturnType<typeof stageFunction>>();
    for (const stage of ['ingest', 'count', 'report']) {
      vi.stubEnv(ENV.pipeline, 'wordcount');
      vi.stubEnv(ENV.stage, stage);
      handlers.set(stage, stageFunction());
    }
    const job = await jobs.submit(
      { pipeline: 'wordcount', params: { text: 'one two two three three three', document_id: 'd1' } },
      { tenantId: TENANT },
    );

    // Act: deliver each stage's message to its function, as the SQS event source would.
    recording = true;
    for (const stage of ['ingest', 'count', 'report']) {
      const [lane] = topology.stageQueues('wordcount', stage).lanes;
      const messages = await base.queue.receive(lane ?? '', { maxMessages: 10, waitTimeMs: 2_000 });
      const records = messages.map((m) =>
        sqsRecord(lane ?? '', m.body, { messageId: m.messageId, receiptHandle: m.receiptHandle }),
      );
      const answer = await handlers.get(stage)?.(sqsEvent(...records), lambdaContext());
      expect(records, stage).toHaveLength(1);
      expect(answer?.batchItemFailures, stage).toEqual([]);
    }

    recording = false;

    // Assess: the job is done, on the function's own bookkeeping ...
    const done = await jobs.get(job.job_id, { tenantId: TENANT });
    expect(done.status).toBe('DONE');
    // ... its objects are under the tenant's prefix ...
    const keys = (await base.blobs.list('tenants/')).map((o) => o.key).sort();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key.startsWith(`tenants/${TENANT}/documents/`), key).toBe(true);
    // ... reached through one session, assumed with the job's tenant's tag ...
    expect(assumed).toEqual(
      ['ingest', 'count', 'report'].map(() => ({
        RoleArn: ROLE,
        RoleSessionName: `tenant-${TENANT}`,
        DurationSeconds: 3_600,
        Tags: [{ Key: 'tenant', Value: TENANT }],
      })),
    );
    // ... and every S3 request of the stages was signed with a session's key, never the function's.
    const calls = await Promise.all(s3Calls);
    expect(calls.map((c) => c.command)).toContain('PutObjectCommand');
    expect(calls.map((c) => c.command)).toContain('GetObjectCommand');
    for (const call of calls) expect(issued, JSON.stringify(call)).toContain(call.accessKeyId);
  });
});
