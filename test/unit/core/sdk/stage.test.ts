import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryBlobStore } from '../../../../lib/adapters/memory/memory-blob-store.js';
import {
  ConfigError,
  ContractError,
  InvalidParamError,
  JsonLogger,
  MissingParamError,
  NotFoundError,
  silentLogger,
} from '../../../../lib/core/ports/index.js';
import type { JobIdentity } from '../../../../lib/core/sdk/index.js';
import {
  blobKey,
  defineStage,
  lambdaTimeoutMs,
  lookup,
  optional,
  required,
  requiredString,
  validateInputs,
  verifyOutputs,
} from '../../../../lib/core/sdk/index.js';

const job: JobIdentity = {
  job_id: 'j',
  tenant_id: 't',
  pipeline: 'p',
  stage: 's',
  entry_stage: 's',
  exit_stage: 's',
  hop: 0,
  attempt: 1,
  retry_count: 0,
  priority: 0,
  trace_id: 'tr',
  tags: {},
};
const storage = new MemoryBlobStore();
const vctx = (params: Record<string, unknown>) => ({
  params,
  job,
  storage,
  signal: new AbortController().signal,
  log: silentLogger,
});

describe('defineStage', () => {
  it('applies the defaults: 2 retries, lambda compute, a visibility of 6 × the function timeout plus the batching window', () => {
    const stage = defineStage({
      name: 'detect',
      inputs: {},
      outputs: ['run_id'],
      process: () => ({ run_id: 'r' }),
    });
    expect(stage.retry.maxRetries).toBe(2);
    expect(stage.compute).toMatchObject({
      kind: 'lambda',
      memoryMb: 512,
      batchSize: 10,
      batchWindowMs: 1_000,
    });
    expect(stage.compute.reservedConcurrency).toBeUndefined();
    expect(stage.timeoutMs).toBe(60_000);
    expect(stage.visibilityTimeoutMs).toBe(6 * lambdaTimeoutMs(60_000) + 1_000);
    expect(stage.outputKeys).toEqual(['run_id']);
  });

  it('keeps the heartbeat within a third of the lease, by default and as a rule', () => {
    const base = { inputs: {}, outputs: ['a'], process: () => ({ a: 1 }) } as const;
    // The lease: 30 s, or the visibility when shorter; never longer than the visibility.
    expect(defineStage({ name: 'lease', ...base }).leaseMs).toBe(30_000);
    expect(defineStage({ name: 'short-lease', visibilityTimeoutMs: 1_500, ...base }).leaseMs).toBe(1_500);
    expect(() => defineStage({ name: 'over', visibilityTimeoutMs: 2_000, leaseMs: 3_000, ...base })).toThrow(
      /leaseMs 3000 is longer than visibilityTimeoutMs 2000/,
    );
    expect(defineStage({ name: 'short', visibilityTimeoutMs: 1_500, ...base }).heartbeatMs).toBe(500);
    expect(defineStage({ name: 'long', ...base }).heartbeatMs).toBe(1_000);
    expect(() =>
      defineStage({ name: 'lapse', heartbeatMs: 1_000, visibilityTimeoutMs: 2_000, ...base }),
    ).toThrow(/heartbeatMs 1000 is more than a third of leaseMs 2000.*lower heartbeatMs or raise leaseMs/);
  });

  it('reports every configuration problem at once', () => {
    let caught: unknown;
    try {
      defineStage({
        name: 'Bad Name',
        inputs: { x: 42 as unknown as z.ZodString },
        outputs: ['a', 'a'],
        timeoutMs: 20 * 60_000,
        retry: { maxRetries: -1 },
        process: () => ({ a: 1 }),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/name: use 1-24 lower-case/);
    expect(problems).toMatch(/inputs.x: must be a zod schema or a validator function/);
    expect(problems).toMatch(/outputs: 'a' is declared twice/);
    expect(problems).toMatch(/too long for a Lambda stage/);
    expect(problems).toMatch(/retry.maxRetries/);
  });

  it('takes the batching window and reserved concurrency of a Lambda stage, and refuses them elsewhere', () => {
    const base = { inputs: {}, outputs: ['a'], process: () => ({ a: 1 }) } as const;
    const tuned = defineStage({
      name: 'tuned',
      compute: { batchWindowMs: 0, reservedConcurrency: 20 },
      ...base,
    });
    expect(tuned.compute).toMatchObject({ batchWindowMs: 0, reservedConcurrency: 20 });
    expect(tuned.visibilityTimeoutMs).toBe(6 * lambdaTimeoutMs(60_000));
    expect(
      defineStage({ name: 'heavy', compute: { kind: 'fargate' }, ...base }).compute.batchWindowMs,
    ).toBeUndefined();

    let caught: unknown;
    try {
      defineStage({ name: 'odd', compute: { batchWindowMs: 250 }, ...base });
    } catch (error) {
      caught = error;
    }
    expect(caught instanceof ConfigError ? caught.problems : []).toEqual([
      'compute.batchWindowMs: 250 ms is not whole seconds; SQS event sources take 0, 1000, 2000, … up to 300000',
    ]);
    expect(() =>
      defineStage({ name: 'misplaced', compute: { kind: 'fargate', reservedConcurrency: 5 }, ...base }),
    ).toThrow(/compute.reservedConcurrency: applies to Lambda stages only/);
  });

  it('takes outputs from a zod object', () => {
    const stage = defineStage({
      name: 'z',
      inputs: z.object({ a: z.string() }),
      outputs: z.object({ n: z.number(), s: z.string() }),
      process: ({ a }) => ({ n: a.length, s: a }),
    });
    expect(stage.outputKeys).toEqual(['n', 's']);
  });
});

describe('validateInputs', () => {
  const stage = defineStage({
    name: 'v',
    inputs: {
      image_id: required,
      threshold: z.number().min(0).max(1).default(0.5),
      model: optional(requiredString, 'default-model'),
    },
    outputs: [],
    process: () => ({}),
  });

  it('passes validated values, defaults included', async () => {
    expect(await validateInputs(stage, { image_id: 'img', extra: 1 }, vctx({}))).toEqual({
      image_id: 'img',
      threshold: 0.5,
      model: 'default-model',
    });
  });

  it('raises MissingParamError for absent or blank required params', async () => {
    await expect(validateInputs(stage, { image_id: '  ' }, vctx({}))).rejects.toBeInstanceOf(
      MissingParamError,
    );
    await expect(validateInputs(stage, {}, vctx({}))).rejects.toThrow(/missing required param image_id/);
  });

  it('raises InvalidParamError naming every invalid param', async () => {
    const error = await validateInputs(stage, { image_id: 'i', threshold: 5, model: 3 }, vctx({})).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(InvalidParamError);
    expect(error.message).toMatch(/threshold: Too big/i);
    expect(error.message).toMatch(/model: must be a string/);
  });

  it('lists missing and invalid params of a zod object together', async () => {
    const objStage = defineStage({
      name: 'o',
      inputs: z.object({ a: z.string(), b: z.number() }),
      outputs: [],
      process: () => ({}),
    });
    const error = await validateInputs(objStage, { b: 'x' }, vctx({})).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidParamError);
    expect(error.message).toMatch(/missing required param a; b: /);
  });

  it('lets a look-up pass what it found, or raise NotFoundError', async () => {
    const images = new Map([['img_1', { width: 640 }]]);
    const lookStage = defineStage({
      name: 'l',
      inputs: { image: lookup<{ width: number }>('Image', (id) => images.get(id)) },
      outputs: ['w'],
      process: ({ image }) => ({ w: image.width }),
    });
    expect(await validateInputs(lookStage, { image: 'img_1' }, vctx({}))).toEqual({ image: { width: 640 } });
    const error = await validateInputs(lookStage, { image: 'img_2' }, vctx({})).catch((e) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("Image 'img_2' (param 'image') was not found.");
  });

  it('checks that a blob key exists in storage', async () => {
    await storage.put('data/x.csv', 'a,b');
    const blobStage = defineStage({
      name: 'b',
      inputs: { key: blobKey('Dataset') },
      outputs: [],
      process: () => ({}),
    });
    expect(await validateInputs(blobStage, { key: 'data/x.csv' }, vctx({}))).toEqual({ key: 'data/x.csv' });
    await expect(validateInputs(blobStage, { key: 'data/y.csv' }, vctx({}))).rejects.toThrow(
      /Dataset 'data\/y.csv'/,
    );
  });
});

describe('verifyOutputs', () => {
  const stage = defineStage({
    name: 'out',
    inputs: {},
    outputs: ['a', 'b'],
    process: () => ({ a: 1, b: 2 }),
  });

  it('accepts exactly the declared keys', () => {
    expect(verifyOutputs(stage, { a: 1, b: 'x' })).toEqual({ a: 1, b: 'x' });
  });

  it('names missing and unexpected keys and says how to fix it', () => {
    const error = (() => {
      try {
        verifyOutputs(stage, { a: 1, c: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('OUTPUT_MISMATCH');
    expect((error as Error).message).toBe(
      "Stage 'out' returned keys [a, c] but declares outputs [a, b]: missing b; unexpected c. Return exactly the declared keys, or change the stage's outputs.",
    );
  });

  it('treats an undefined value as a missing key', () => {
    expect(() => verifyOutputs(stage, { a: 1, b: undefined })).toThrow(/missing b/);
  });

  it('rejects a non-object return', () => {
    expect(() => verifyOutputs(stage, undefined)).toThrow(/it returned undefined/);
    expect(() => verifyOutputs(stage, [1])).toThrow(/it returned an array/);
  });

  it('validates values against an output schema', () => {
    const typed = defineStage({
      name: 'typed',
      inputs: {},
      outputs: z.object({ n: z.number() }),
      process: () => ({ n: 1 }),
    });
    expect(() => verifyOutputs(typed, { n: 'one' })).toThrow(/schema rejects: n: /);
  });
});

describe('JsonLogger', () => {
  it('writes one JSON object per line with the bound fields and respects the level', () => {
    const lines: string[] = [];
    const log = new JsonLogger({ level: 'info', write: (line) => lines.push(line) }).child({
      job_id: 'j1',
      stage: 's',
    });
    log.debug('hidden');
    log.info('hello', { attempt: 2, error: new Error('boom') });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry).toMatchObject({ level: 'info', message: 'hello', job_id: 'j1', stage: 's', attempt: 2 });
    expect(entry.error.message).toBe('boom');
  });
});
