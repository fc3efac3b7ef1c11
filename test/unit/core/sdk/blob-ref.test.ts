import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../../lib/adapters/memory/memory-blob-store.js';
import {
  ConfigError,
  InvalidParamError,
  MissingParamError,
  NotFoundError,
  silentLogger,
  tenantBlobs,
} from '../../../../lib/core/ports/index.js';
import {
  blobRef,
  checkInputs,
  defineStage,
  inputsSchema,
  type JobIdentity,
  validateInputs,
} from '../../../../lib/core/sdk/index.js';

// A reference in params is a typed key of the job's tenant's storage: whatever it aims at outside
// that storage is "not found", exactly as an absent object is.

const store = new MemoryBlobStore();
const job = (tenant_id: string): JobIdentity => ({
  job_id: 'j',
  tenant_id,
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
});
const ctxOf = (tenant: string, params: Record<string, unknown>) => ({
  params,
  job: job(tenant),
  storage: tenantBlobs(store, tenant),
  signal: new AbortController().signal,
  log: silentLogger,
});

const stage = defineStage({
  name: 'read',
  inputs: { doc: blobRef({ noun: 'Document', under: 'documents/' }) },
  outputs: ['size'],
  process: async ({ doc }, ctx) => ({ size: (await ctx.storage.get(doc)).byteLength }),
});

const HOSTILE = [
  'documents/../../tenant-a/documents/secret.txt',
  '../tenant-a/documents/secret.txt',
  '/tenants/tenant-a/documents/secret.txt',
  'tenants/tenant-a/documents/secret.txt',
  'documents/%2e%2e/%2e%2e/tenant-a/documents/secret.txt',
  'documents\\..\\..\\tenant-a\\documents\\secret.txt',
  'documents/./secret.txt',
  'documents//secret.txt',
  'documents/secret.txt\u0000',
  'documents/',
  'x'.repeat(1025),
];

describe('blobRef', () => {
  it("resolves a key in the job's tenant's storage and yields it", async () => {
    await store.put('tenants/tenant-b/documents/mine.txt', 'mine');
    expect(await validateInputs(stage, { doc: 'documents/mine.txt' }, ctxOf('tenant-b', {}))).toEqual({
      doc: 'documents/mine.txt',
    });
  });

  it("answers NotFoundError, non-retryable and worded as for an absent object, to every reference outside the tenant's storage", async () => {
    // Prepare: tenant A has the object every hostile form aims at.
    await store.put('tenants/tenant-a/documents/secret.txt', 'secret');
    const absent = await validateInputs(stage, { doc: 'documents/absent.txt' }, ctxOf('tenant-b', {})).catch(
      (e: unknown) => e,
    );
    // Act
    const errors = await Promise.all(
      [...HOSTILE, 'documents/secret.txt', 7, { key: 'documents/secret.txt' }].map((doc) =>
        validateInputs(stage, { doc }, ctxOf('tenant-b', { doc })).catch((e: unknown) => e),
      ),
    );
    // Assess
    expect(absent).toBeInstanceOf(NotFoundError);
    expect((absent as NotFoundError).message).toBe(
      "Document 'documents/absent.txt' (param 'doc') was not found in storage.",
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).retryable).toBe(false);
      expect((error as NotFoundError).message).toMatch(
        /^Document '.*' \(param 'doc'\) was not found in storage\.$/s,
      );
      expect([...(error as NotFoundError).message].filter((ch) => ch.charCodeAt(0) < 0x20)).toEqual([]);
    }
  });

  it('is missing when absent, unless the service fills it in later', async () => {
    const later = defineStage({
      name: 'later',
      inputs: { doc: blobRef({ absent: 'not-found', notFound: () => 'Upload the document first.' }) },
      outputs: [],
      process: () => ({}),
    });
    await expect(validateInputs(stage, {}, ctxOf('tenant-b', {}))).rejects.toBeInstanceOf(MissingParamError);
    await expect(validateInputs(later, {}, ctxOf('tenant-b', {}))).rejects.toThrow(
      'Upload the document first.',
    );
  });

  it('has a static shape: the API refuses a malformed reference at submit, and clients get it as JSON Schema', async () => {
    const problems = await checkInputs(stage, { doc: '../tenant-a/documents/secret.txt' });
    const fine = await checkInputs(stage, { doc: 'documents/tenant-a/secret.txt' });
    const schema = inputsSchema(stage) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    expect(problems.invalid[0]).toMatch(/^doc: must be a key in the tenant's storage/);
    expect(fine).toEqual({ missing: [], invalid: [] });
    expect(schema.required).toEqual(['doc']);
    expect(schema.properties.doc).toMatchObject({
      type: 'string',
      maxLength: 1024,
      'x-stagecoach-check': 'blob-ref',
    });
    const pattern = new RegExp(String(schema.properties.doc?.pattern));
    expect(HOSTILE.slice(0, -1).filter((key) => pattern.test(key))).toEqual([
      'tenants/tenant-a/documents/secret.txt', // relative: tenant B's own (absent) object
    ]);
  });
});

describe("tenantBlobs: a tenant's view of the store", () => {
  it('reads a key outside the tenant as not found, and never touches the store for it', async () => {
    await store.put('tenants/tenant-a/x.txt', 'a');
    const b = tenantBlobs(store, 'tenant-b');
    for (const key of ['../tenant-a/x.txt', '/tenants/tenant-a/x.txt', 'a/../../tenant-a/x.txt', '', '.']) {
      await expect(b.get(key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.getStream(key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.presign(key, { method: 'GET' })).rejects.toBeInstanceOf(NotFoundError);
      expect(await b.head(key)).toBeUndefined();
      await b.delete(key);
    }
    expect(await b.list('../tenant-a/')).toEqual([]);
    expect(await store.get('tenants/tenant-a/x.txt')).toEqual(Buffer.from('a'));
  });

  it('refuses to write a key that could leave the tenant, and a tenant id that could share a prefix', async () => {
    const b = tenantBlobs(store, 'tenant-b');
    await expect(b.put('../tenant-a/x.txt', 'overwrite')).rejects.toBeInstanceOf(InvalidParamError);
    await expect(b.presign('../tenant-a/x.txt', { method: 'PUT' })).rejects.toBeInstanceOf(InvalidParamError);
    for (const tenant of ['tenant-a/sub', '..', 'a#J#b', '']) {
      expect(() => tenantBlobs(store, tenant)).toThrow(ConfigError);
    }
    expect(await store.get('tenants/tenant-a/x.txt')).toEqual(Buffer.from('a'));
  });
});
