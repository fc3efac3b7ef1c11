import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineService } from '../../../lib/core/api/index.js';
import { laneConcurrency, laneOf, Topology } from '../../../lib/core/engine/index.js';
import type { JobRecord } from '../../../lib/core/ports/index.js';
import { definePipeline, defineStage, lambdaTimeoutMs } from '../../../lib/core/sdk/index.js';
import { lambdaLaneSources, laneSources } from '../../../lib/dev/lane-sources.js';
import { DevRuntime } from '../../../lib/dev/runtime.js';
import { eventually } from '../../support/wait.js';

// The dev runtime plays Lambda's event sources as the stack creates them: one per lane queue, each
// with its lane's part of the stage's concurrency (lib/core/engine/lane-concurrency.ts) — not one
// source polling the lanes highest-first.

const stage = (name: string, compute: Parameters<typeof defineStage>[0]['compute']) =>
  defineStage({
    name,
    inputs: {},
    outputs: [],
    retry: { maxRetries: 0 },
    ...(compute === undefined ? {} : { compute }),
    // Holds its slot until the job is aborted or the runtime interrupts it.
    async process(_inputs, ctx) {
      await new Promise<void>((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
      return {};
    },
  });

describe('laneSources', () => {
  it('gives each lane queue its own source with the stack’s maximum concurrency, lowest lane first', () => {
    // Prepare
    const work = stage('work', { kind: 'lambda', concurrency: 14, batchSize: 3 });
    const pipeline = definePipeline({ name: 'lanes', priorityLanes: 3, stages: [work] });
    const topology = new Topology([pipeline], 'dev-');
    // Act
    const sources = laneSources(pipeline, work, topology);
    // Assess
    expect(sources.map((s) => s.queue)).toEqual(['dev-lanes-work', 'dev-lanes-work-p1', 'dev-lanes-work-p2']);
    expect(sources.map((s) => s.lane)).toEqual([0, 1, 2]);
    expect(sources.map((s) => s.maxConcurrency)).toEqual([2, 4, 8]);
    expect(sources.map((s) => s.maxConcurrency)).toEqual(laneConcurrency(14, 3));
    expect(new Set(sources.map((s) => s.functionName))).toEqual(new Set(['lanes-work']));
    expect(new Set(sources.map((s) => s.batchSize))).toEqual(new Set([3]));
    expect(new Set(sources.map((s) => s.functionTimeoutMs))).toEqual(
      new Set([lambdaTimeoutMs(work.timeoutMs)]),
    );
  });

  it('uses the whole concurrency for one lane, uncapped, and the event source minimum below it', () => {
    const wide = stage('wide', { kind: 'lambda', concurrency: 40 });
    const narrow = stage('narrow', { kind: 'lambda', concurrency: 1 });
    const pipeline = definePipeline({ name: 'one', stages: [wide, narrow] });
    const topology = new Topology([pipeline]);
    expect(laneSources(pipeline, wide, topology).map((s) => s.maxConcurrency)).toEqual([40]);
    expect(laneSources(pipeline, narrow, topology).map((s) => s.maxConcurrency)).toEqual([2]);
  });

  it('groups the sources by Lambda stage and leaves Fargate stages to the worker pool', () => {
    const light = stage('light', { kind: 'lambda', concurrency: 6 });
    const heavy = stage('heavy', { kind: 'fargate' });
    const pipeline = definePipeline({ name: 'mixed', priorityLanes: 2, stages: [light, heavy] });
    const grouped = lambdaLaneSources([pipeline], new Topology([pipeline]));
    expect(
      grouped.map((sources) => sources.map((s) => `${s.stage.name}:${s.lane}:${s.maxConcurrency}`)),
    ).toEqual([['light:0:2', 'light:1:4']]);
  });
});

describe('dev runtime lane sources (embedded backend)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs each lane up to its own maximum, whatever the higher lanes hold, and interrupts every lane on stop', async () => {
    // Prepare: 6 over 3 lanes is 2 per lane; three jobs per lane that hold their slot until stopped.
    // One source polling highest-first with 6 slots would run the two higher lanes' jobs only.
    const hold = stage('hold', { kind: 'lambda', concurrency: 6, batchSize: 1, batchWindowMs: 0 });
    const service = defineService({
      name: 'held-lanes',
      pipelines: [definePipeline({ name: 'held-lanes', priorityLanes: 3, stages: [hold] })],
    });
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-lanes-'));
    const runtime = await DevRuntime.start({
      backend: 'memory',
      services: [service],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    const caller = { tenantId: 'tenant-a' };
    try {
      const jobs: JobRecord[] = [];
      for (const priority of [9, 9, 9, 5, 5, 5, 0, 0, 0]) {
        jobs.push(await runtime.jobs.submit({ pipeline: 'held-lanes', params: {}, priority }, caller));
      }
      const statuses = async () =>
        Promise.all(jobs.map(async (j) => (await runtime.jobs.get(j.job_id, caller)).status));
      // Act: the six slots fill (a 7th start would need a slot no job ever gives back)
      await eventually(
        async () => (await statuses()).filter((s) => s === 'RUNNING').length === 6,
        'six jobs running',
      );
      const running = await statuses();
      await runtime.stop();
      const after = await Promise.all(jobs.map((j) => runtime.jobs.get(j.job_id, caller)));
      // Assess: two running per lane, and the interrupted ones queued again, not failed
      expect(runtime.laneSources.map((s) => s.maxConcurrency)).toEqual([2, 2, 2]);
      const perLane = [0, 1, 2].map(
        (lane) => jobs.filter((j, i) => laneOf(j.priority, 3) === lane && running[i] === 'RUNNING').length,
      );
      expect(perLane).toEqual([2, 2, 2]);
      expect(after.map((j) => j.status)).toEqual(jobs.map(() => 'QUEUED'));
      expect(after.map((j) => j.retry_count)).toEqual(jobs.map(() => 0));
    } finally {
      await runtime.stop();
    }
  });
});
