import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsBackend, createAwsBackend, provisionAws } from '../../lib/adapters/aws/index.js';
import { JobService } from '../../lib/core/control/index.js';
import { Topology } from '../../lib/core/engine/index.js';
import { tenantBlobs } from '../../lib/core/ports/index.js';
import { registry } from '../../lib/pipelines/registry.js';
import { resourcesToEnv } from '../../lib/shells/config.js';
import { awsTestConfig, motoEndpoint } from '../contract/aws-harness.js';
import { eventually } from '../support/wait.js';

const worker = new URL('../../functions/worker.ts', import.meta.url).pathname;
const endpoint = motoEndpoint();

/** The Fargate worker's entry point, as its container runs it (here through tsx). */
function startWorker(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    env: {
      ...process.env,
      ...env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe.skipIf(endpoint === undefined)(
  'the Fargate worker entry point (functions/worker.ts) on moto_server',
  () => {
    let backend: AwsBackend;
    let env: Record<string, string>;
    let jobs: JobService;

    beforeAll(async () => {
      const config = awsTestConfig(endpoint ?? '');
      backend = createAwsBackend(config);
      const topology = new Topology(
        registry.select().flatMap((s) => s.pipelines),
        config.queuePrefix,
      );
      await provisionAws(config, backend.clients, backend.queue, topology.specs());
      jobs = new JobService({ backend, topology });
      env = { ...resourcesToEnv(config), AWS_REGION: config.region, AWS_ENDPOINT_URL: config.endpoint ?? '' };
    });
    afterAll(async () => {
      await backend?.events.flush();
    });

    it('consumes the stages it is given and stops cleanly on SIGTERM', async () => {
      // Prepare: a document in storage, and a job for the count stage only.
      const caller = { tenantId: 'tenant-w' };
      await tenantBlobs(backend.blobs, 'tenant-w').put('documents/w1.txt', 'one two two');
      const job = await jobs.submit(
        {
          pipeline: 'wordcount',
          entry_stage: 'count',
          exit_stage: 'count',
          params: { document_key: 'documents/w1.txt' },
        },
        caller,
      );
      const running = startWorker({
        ...env,
        STAGECOACH_STAGES: 'wordcount/count',
        STAGECOACH_STOP_TIMEOUT_MS: '5000',
      });
      // Act
      const done = await eventually(
        async () => {
          const current = await jobs.get(job.job_id, caller);
          return current.status === 'DONE' ? current : undefined;
        },
        'the worker to run the job',
        30_000,
      );
      const stopping = Date.now();
      running.child.kill('SIGTERM');
      const code = await running.exit;
      // Assess
      expect(done.params.word_count).toBe(3);
      expect(code, running.output()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(15_000);
      expect(running.output()).toMatch(/"message":"stopping"/);
    });

    it('refuses a stage list that names no stage of the deployment', async () => {
      const running = startWorker({ ...env, STAGECOACH_STAGES: 'wordcount/nope' });
      const code = await running.exit;
      expect(code).not.toBe(0);
      expect(running.output()).toMatch(/'wordcount\/nope' is not a stage of this deployment/);
    });

    it('refuses a stop timeout or concurrency that is not a whole number, naming the variable', async () => {
      const running = startWorker({ ...env, STAGECOACH_STOP_TIMEOUT_MS: '10s' });
      const code = await running.exit;
      expect(code).not.toBe(0);
      expect(running.output()).toMatch(
        /STAGECOACH_STOP_TIMEOUT_MS[\s\S]*must be a whole number of at least 0 \(got '10s'\)/,
      );
    });
  },
);
