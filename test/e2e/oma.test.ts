import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodeSocket } from '../../lib/cli/node-socket.js';
import { uploadMeasurement } from '../../lib/cli/upload.js';
import { ApiError } from '../../lib/client/http.js';
import { OmaClient } from '../../lib/client/oma.js';
import { LiveClient, type LiveMessage, type StatusDetail, statusOf } from '../../lib/client/oma-live.js';
import { tenantBlobs } from '../../lib/core/ports/index.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { DEFAULT_TOKENS } from '../../lib/dev/tokens.js';
import { runPrefix } from '../../lib/pipelines/oma/keys.js';
import { type AnalysisRecord, isFinished } from '../../lib/pipelines/oma/schemas.js';
import { omaService } from '../../lib/pipelines/oma/service.js';
import { motoEndpoint } from '../contract/aws-harness.js';
import { eventually } from '../support/wait.js';
import {
  frameMeasurement,
  frequencyErrors,
  matchModes,
  multiSetupMeasurement,
} from '../unit/pipelines/oma/fixtures.js';

const [tokenA = '', tokenB = ''] = Object.keys(DEFAULT_TOKENS.tokens);

/** A live connection subscribed to its tenant's stream, keeping every message. */
async function watcher(url: string, token: string): Promise<{ live: LiveClient; messages: LiveMessage[] }> {
  const live = await LiveClient.connect(url, token, openNodeSocket);
  const messages: LiveMessage[] = [];
  live.onMessage((message) => messages.push(message));
  await live.subscribeTenant();
  return { live, messages };
}

const statusesOf = (messages: readonly LiveMessage[], analysisId: string): StatusDetail[] =>
  messages.flatMap((m) => {
    const detail = statusOf(m);
    return detail?.document_id === analysisId ? [detail] : [];
  });

/** Everything a socket received that names the analysis or its run, in any field. */
const mentioning = (messages: readonly LiveMessage[], ...ids: string[]): LiveMessage[] =>
  messages.filter((m) => ids.some((id) => JSON.stringify(m).includes(id)));

/**
 * `timeoutMs` only guards against a hang: each wait and each test may take that long on a busy
 * machine (moto serialises every call, and the dev runtime runs the analysis in the API's own
 * process). How fast things happen is measured by the benchmarks, not asserted here.
 */
function describeOmaService(backend: 'memory' | 'moto', timeoutMs: number): void {
  let runtime: DevRuntime;
  let dir: string;
  let alice: OmaClient;
  let bob: OmaClient;
  let a: Awaited<ReturnType<typeof watcher>>;
  let b: Awaited<ReturnType<typeof watcher>>;
  const structure = `frame-${randomUUID().slice(0, 8)}`;

  const finished = (analysisId: string): Promise<AnalysisRecord> =>
    eventually(
      async () => {
        const record = await alice.getAnalysis(structure, analysisId);
        return isFinished(record.status) ? record : undefined;
      },
      `analysis ${analysisId} to end`,
      timeoutMs,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-oma-'));
    runtime = await DevRuntime.start({
      backend,
      services: [omaService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
      prefix: `oma${Date.now() % 100_000}-`,
    });
    alice = new OmaClient({ url: runtime.url, token: tokenA });
    bob = new OmaClient({ url: runtime.url, token: tokenB });
    a = await watcher(runtime.wsUrl, tokenA);
    b = await watcher(runtime.wsUrl, tokenB);
  });

  afterAll(async () => {
    a?.live.close();
    b?.live.close();
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'create → upload → run → DONE with the right modes; its status events reach its tenant only',
    async () => {
      // Prepare
      const { csv, modes: truth } = await frameMeasurement();
      const created = await alice.createAnalysis(structure, { type: 'SSI', parameters: { fmax: 22 } });
      await uploadMeasurement(alice, structure, created.analysis_id, csv);
      // Act
      const queued = await alice.run(structure, created.analysis_id);
      const done = await finished(created.analysis_id);
      const results = await alice.results(structure, created.analysis_id);
      // Assess: the run and its modes (2 minutes of data: a few 0.1 %; 2 % tells a mode from a miss).
      expect(queued.status).toBe('QUEUED');
      expect(done.status, JSON.stringify(done.error)).toBe('DONE');
      const errors = frequencyErrors(truth, matchModes(truth, results.result?.modes ?? []));
      expect(Math.max(...errors), `frequency errors ${errors.join(', ')}`).toBeLessThan(0.02);
      expect(results.result?.macMatrix).toHaveLength(results.result?.modes.length ?? -1);
      // Status events: every change, on tenant A's stream (the fan-out may reorder them).
      const seen = await eventually(() => {
        const statuses = statusesOf(a.messages, created.analysis_id);
        return statuses.some((s) => s.status === 'DONE') ? statuses : undefined;
      }, 'the DONE status event');
      expect(new Set(seen.map((s) => s.status))).toEqual(new Set(['READY', 'QUEUED', 'RUNNING', 'DONE']));
      expect(seen.find((s) => s.status === 'DONE')).toEqual({
        tenant_id: 'tenant-a',
        user_id: 'alice',
        document_id: created.analysis_id,
        run_type: 'SSI',
        status: 'DONE',
        structure_id: structure,
        run_id: queued.run_id,
      });
      expect(done.history.map((h) => h.status)).toEqual(['READY', 'QUEUED', 'RUNNING', 'DONE']);
      const progress = a.messages.filter(
        (m) => m.type === 'event' && m.event.job_id === queued.run_id && m.event.type === 'stage.progress',
      );
      expect(progress.length).toBeGreaterThan(0);
      // Tenant B: nothing over HTTP, nothing on its socket.
      await expect(bob.getAnalysis(structure, created.analysis_id)).rejects.toMatchObject({ status: 404 });
      expect(await bob.listAnalyses(structure)).toEqual([]);
      expect(mentioning(b.messages, created.analysis_id, queued.run_id ?? '?')).toEqual([]);
    },
    2 * timeoutMs,
  );

  it(
    'aborts a running analysis through the stage signal; it ends ABORTED and keeps nothing; tenant B cannot abort it',
    async () => {
      // Prepare: an SSI sized to run for seconds (block rows at the engine cap), running its analyze stage.
      const { csv } = await frameMeasurement();
      const created = await alice.createAnalysis(structure, {
        type: 'SSI',
        parameters: { br: 300, order_max: 120 },
      });
      await uploadMeasurement(alice, structure, created.analysis_id, csv);
      const queued = await alice.run(structure, created.analysis_id);
      const runId = queued.run_id ?? '';
      await eventually(
        () =>
          a.messages.some(
            (m) =>
              m.type === 'event' &&
              m.event.job_id === runId &&
              m.event.stage === 'analyze' &&
              m.event.type === 'stage.progress',
          ),
        'the analyze stage to report progress',
        timeoutMs,
      );
      // Act: tenant B tries first, then the owner.
      const foreign = await bob.abort(structure, created.analysis_id).catch((error: unknown) => error);
      const stillRunning = await alice.getAnalysis(structure, created.analysis_id);
      await alice.abort(structure, created.analysis_id, 'test abort');
      await eventually(
        async () => {
          const response = await fetch(`${runtime.url}/jobs/${runId}`, {
            headers: { authorization: `Bearer ${tokenA}` },
          });
          const job = (await response.json()) as { status: string };
          return job.status === 'ABORTED';
        },
        'the job to be ABORTED',
        timeoutMs,
      );
      const attempts = await fetch(`${runtime.url}/jobs/${runId}/attempts`, {
        headers: { authorization: `Bearer ${tokenA}` },
      }).then(async (r) => ((await r.json()) as { items: { stage: string; outcome: string }[] }).items);
      const final = await finished(created.analysis_id);
      // Assess: the running stage was cancelled through its signal (how fast is bench:oma's figure,
      // "abort latency"; a busy machine must not fail this test).
      expect(foreign).toBeInstanceOf(ApiError);
      expect(foreign).toMatchObject({ status: 404 });
      expect(stillRunning.status).toBe('RUNNING');
      // On the embedded backend the API answers at once, so the abort lands while the analysis
      // computes and its stage is cancelled; on moto each API call waits for the engine to yield
      // (the analysis runs in the API's process here), and the stage may finish first.
      if (backend === 'memory') {
        expect(attempts.filter((x) => x.stage === 'analyze').map((x) => x.outcome)).toEqual(['aborted']);
      }
      expect(attempts.filter((x) => x.stage === 'publish' && x.outcome === 'completed')).toEqual([]);
      expect(final.status).toBe('ABORTED');
      await expect(alice.results(structure, created.analysis_id)).rejects.toMatchObject({ status: 409 });
      await eventually(
        async () =>
          (await tenantBlobs(runtime.backend.blobs, 'tenant-a').list(runPrefix('tenant-a', structure, runId)))
            .length === 0,
        "the run's outputs to be deleted",
      );
      const statuses = await eventually(() => {
        const s = statusesOf(a.messages, created.analysis_id).map((d) => d.status);
        return s.includes('ABORTED') ? s : undefined;
      }, 'the ABORTED status event');
      expect(statuses).not.toContain('DONE');
    },
    2 * timeoutMs,
  );

  it(
    'MULTI_SETUP: three uploaded setups merged by one analysis into modes over all DOFs',
    async () => {
      // Prepare: each setup's CSV as a PREPROCESSING analysis, the three run side by side.
      const { csvs, references, modes: truth } = await multiSetupMeasurement();
      const setups = await Promise.all(
        csvs.map(async (csv) => {
          const pre = await alice.createAnalysis(structure, {
            type: 'PREPROCESSING',
            parameters: { fmax: 20 },
          });
          await uploadMeasurement(alice, structure, pre.analysis_id, csv);
          await alice.run(structure, pre.analysis_id);
          return { analysis_id: pre.analysis_id, reference_channels: [...references] };
        }),
      );
      for (const s of await Promise.all(setups.map((x) => finished(x.analysis_id))))
        expect(s.status).toBe('DONE');
      // Act
      const merged = await alice.createAnalysis(structure, {
        type: 'MULTI_SETUP',
        parameters: { setups, fmax: 20, order_max: 40 },
      });
      await alice.run(structure, merged.analysis_id);
      const done = await finished(merged.analysis_id);
      const results = await alice.results(structure, merged.analysis_id);
      // Assess
      expect(done.status, JSON.stringify(done.error)).toBe('DONE');
      expect(results.result?.channels).toHaveLength(12);
      const matched = matchModes(truth, results.result?.modes ?? []);
      for (const [i, m] of matched.entries())
        expect(m?.mac, `MAC at ${truth[i]?.frequency.toFixed(2)} Hz`).toBeGreaterThan(0.99);
      expect(results.result?.modes[0]?.uncertainty?.frequency_std).toBeGreaterThan(0);
    },
    2 * timeoutMs,
  );

  it(
    'a bad CSV ends ERROR with a message naming the line; the service keeps working',
    async () => {
      // Prepare
      const { csv } = await frameMeasurement();
      const lines = csv.toString('utf8').split('\n');
      lines[1200] = '11.990000,0.1,0.2,oops,0.4,0.5';
      const bad = await alice.createAnalysis(structure, { type: 'PREPROCESSING' });
      await uploadMeasurement(alice, structure, bad.analysis_id, Buffer.from(lines.join('\n')));
      const good = await alice.createAnalysis(structure, { type: 'PREPROCESSING' });
      await uploadMeasurement(alice, structure, good.analysis_id, csv);
      // Act
      await alice.run(structure, bad.analysis_id);
      await alice.run(structure, good.analysis_id);
      const [failed, succeeded] = [await finished(bad.analysis_id), await finished(good.analysis_id)];
      // Assess
      expect(failed.status).toBe('ERROR');
      expect(failed.error?.message).toBe(
        "The measurement CSV is not valid: line 1201, column 4: 'oops' is not a number",
      );
      const seen = await eventually(
        () => statusesOf(a.messages, bad.analysis_id).find((s) => s.status === 'ERROR'),
        'the ERROR status event',
      );
      expect(seen.error).toBe(failed.error?.message);
      expect(succeeded.status).toBe('DONE');
      expect((await alice.structure(structure)).dataset?.dataset_analysis_id).toBe(good.analysis_id);
    },
    2 * timeoutMs,
  );
}

describe('OMA service end to end, embedded backend', () => {
  describeOmaService('memory', 120_000);
});

describe.skipIf(motoEndpoint() === undefined)('OMA service end to end, moto backend', () => {
  describeOmaService('moto', 240_000);
});
