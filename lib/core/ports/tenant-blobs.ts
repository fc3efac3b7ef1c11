import { assertBlobKey } from './blob-keys.js';
import type { BlobBody, BlobInfo, BlobStore, PresignOptions } from './blob-store.js';
import { IdSchema } from './contract.js';
import { ConfigError, NotFoundError } from './errors.js';
import { printable } from './printable.js';

/** Where a tenant's objects live in the deployment's store: every key is under it. */
export const tenantPrefix = (tenantId: string): string => `tenants/${tenantId}/`;

/** Whether a key is one a tenant's view resolves (relative, no `.`/`..`/empty segment, no control character). */
export function isTenantRelativeKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  try {
    assertBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one answer to a reference that does not resolve, whether the object is absent, the key is
 * malformed or it points outside the tenant (`../`, `/etc/…`): the same non-retryable NotFoundError,
 * so no answer tells a tenant anything about another's objects.
 */
export function objectNotFound(key: unknown): NotFoundError {
  return new NotFoundError(`Object '${printable(String(key), 120)}' was not found in storage.`);
}

/**
 * One tenant's view of the blob store — what a stage gets as `ctx.storage`, and what a service
 * uses for a caller. Keys are relative to the tenant's prefix, so no key a job carries can name
 * another tenant's object: `documents/x.txt` of tenant B is `tenants/B/documents/x.txt`, and a
 * key cannot climb out (no `..` segment). Reading a key that cannot be the tenant's is "not found",
 * like a missing object; writing one is an InvalidParamError (a stage's own mistake).
 */
export function tenantBlobs(store: BlobStore, tenantId: string): BlobStore {
  if (!IdSchema.safeParse(tenantId).success) {
    // A tenant id with '/' would share another tenant's prefix: never build such a view.
    throw new ConfigError('Tenant storage', [`'${printable(tenantId, 60)}' is not a tenant id`]);
  }
  const prefix = tenantPrefix(tenantId);
  const forWrite = (key: string): string => {
    assertBlobKey(key);
    return `${prefix}${key}`;
  };
  const forRead = (key: string): string => {
    if (!isTenantRelativeKey(key)) throw objectNotFound(key);
    return `${prefix}${key}`;
  };
  const relative = (info: BlobInfo): BlobInfo => ({ ...info, key: info.key.slice(prefix.length) });
  const notFound = (key: string) => (error: unknown) => {
    if (error instanceof NotFoundError) throw objectNotFound(key);
    throw error;
  };
  return {
    put: async (key: string, body: BlobBody, options?: { readonly contentType?: string }) =>
      relative(await store.put(forWrite(key), body, options)),
    get: async (key: string) => store.get(forRead(key)).catch(notFound(key)),
    getStream: async (key: string) => store.getStream(forRead(key)).catch(notFound(key)),
    head: async (key: string) => {
      if (!isTenantRelativeKey(key)) return undefined;
      const info = await store.head(`${prefix}${key}`);
      return info === undefined ? undefined : relative(info);
    },
    delete: async (key: string) => {
      if (isTenantRelativeKey(key)) await store.delete(`${prefix}${key}`);
    },
    list: async (keyPrefix: string) => {
      // A prefix that climbs out lists nothing; results are filtered to the tenant's keys anyway.
      if (typeof keyPrefix !== 'string' || keyPrefix.split('/').some((s) => s === '.' || s === '..'))
        return [];
      return (await store.list(`${prefix}${keyPrefix}`))
        .filter((i) => i.key.startsWith(prefix))
        .map(relative);
    },
    presign: async (key: string, options: PresignOptions) =>
      store.presign(options.method === 'GET' ? forRead(key) : forWrite(key), options),
  };
}
