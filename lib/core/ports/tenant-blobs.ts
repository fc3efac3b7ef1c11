import { assertBlobKey } from './blob-keys.js';
import type { BlobBody, BlobInfo, BlobStore, PresignOptions } from './blob-store.js';
import { NotFoundError } from './errors.js';

/** Where a tenant's objects live in the deployment's store: every key is under it. */
export const tenantPrefix = (tenantId: string): string => `tenants/${tenantId}/`;

/**
 * One tenant's view of the blob store — what a stage gets as `ctx.storage`, and what a service
 * uses for a caller. Keys are relative to the tenant's prefix, so no key a job carries can name
 * another tenant's object: `documents/x.txt` of tenant B is `tenants/B/documents/x.txt`, and a
 * key cannot climb out (no `..` segment). A missing object is a plain NotFoundError, which says
 * nothing of whether another tenant has an object of that name.
 */
export function tenantBlobs(store: BlobStore, tenantId: string): BlobStore {
  const prefix = tenantPrefix(tenantId);
  const full = (key: string): string => {
    assertBlobKey(key);
    return `${prefix}${key}`;
  };
  const relative = (info: BlobInfo): BlobInfo => ({ ...info, key: info.key.slice(prefix.length) });
  const notFound = (key: string) => (error: unknown) => {
    if (error instanceof NotFoundError) throw new NotFoundError(`Object '${key}' was not found in storage.`);
    throw error;
  };
  return {
    put: async (key: string, body: BlobBody, options?: { readonly contentType?: string }) =>
      relative(await store.put(full(key), body, options)),
    get: (key: string) => store.get(full(key)).catch(notFound(key)),
    getStream: (key: string) => store.getStream(full(key)).catch(notFound(key)),
    head: async (key: string) => {
      const info = await store.head(full(key));
      return info === undefined ? undefined : relative(info);
    },
    delete: (key: string) => store.delete(full(key)),
    list: async (keyPrefix: string) =>
      (await store.list(`${prefix}${keyPrefix}`)).filter((i) => i.key.startsWith(prefix)).map(relative),
    presign: (key: string, options: PresignOptions) => store.presign(full(key), options),
  };
}
