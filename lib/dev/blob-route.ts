import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { LocalUrlSigner } from '../adapters/memory/local-url-signer.js';
import type { BlobStore, Logger } from '../core/ports/index.js';
import { assertBlobKey, IdSchema, NotFoundError, printable, StagecoachError } from '../core/ports/index.js';
import { BodyLimitError, byteLimit, refuse, refuseDeclared } from './request-body.js';

export interface BlobRouteOptions {
  readonly signer: LocalUrlSigner;
  readonly store: BlobStore;
  readonly logger: Logger;
  /** Most bytes of one upload. */
  readonly uploadBytes: number;
  /** An upload that sends nothing for this long is cut off. */
  readonly idleTimeoutMs: number;
}

/**
 * Whether a key is inside some tenant's prefix (`tenants/<tenant id>/…`). Presigned URLs are only
 * made through a tenant's view of the store, so every genuine one is; anything else is not served.
 */
function isTenantKey(key: string): boolean {
  try {
    assertBlobKey(key);
  } catch {
    return false;
  }
  const [root, tenant, ...rest] = key.split('/');
  return root === 'tenants' && IdSchema.safeParse(tenant).success && rest.length > 0;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/**
 * `/blobs/<key>?X-Method&X-Expires&X-Signature`: presigned GET and PUT of the local blob stores,
 * as S3 serves them. The signature covers the method, the whole key and the expiry; a forged,
 * expired or mis-encoded URL is refused (403/400), and a key outside a tenant's prefix or an absent
 * object is a 404 that says nothing more.
 */
export async function serveBlob(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  o: BlobRouteOptions,
): Promise<void> {
  let key: string;
  let method: 'GET' | 'PUT';
  try {
    ({ key, method } = o.signer.verify(`${url.pathname}${url.search}`, req.method ?? 'GET'));
  } catch (error) {
    const bad = error instanceof StagecoachError && error.code === 'BAD_ENCODING';
    return json(res, bad ? 400 : 403, {
      message: error instanceof StagecoachError ? error.message : 'The URL is not a valid presigned URL.',
    });
  }
  const notFound = () => json(res, 404, { message: `Object '${printable(key, 120)}' was not found.` });
  if (!isTenantKey(key)) return notFound();
  if (method === 'PUT') {
    const declared = refuseDeclared(req, o.uploadBytes, 'The upload');
    if (declared !== undefined) return refuse(req, res, declared);
    const contentType = req.headers['content-type'];
    req.setTimeout(o.idleTimeoutMs, () => req.destroy());
    const limited = byteLimit(o.uploadBytes, 'The upload');
    try {
      await Promise.all([
        pipeline(req, limited),
        o.store.put(key, limited, contentType === undefined ? {} : { contentType }),
      ]);
    } catch (error) {
      if (error instanceof BodyLimitError) return refuse(req, res, error.refusal);
      if (req.destroyed || req.readableAborted) return;
      throw error;
    }
    res.writeHead(200).end();
    return;
  }
  const info = await o.store.head(key);
  if (info === undefined) return notFound();
  res.writeHead(200, {
    'content-type': info.contentType ?? 'application/octet-stream',
    'content-length': info.size,
  });
  try {
    await pipeline(await o.store.getStream(key), res);
  } catch (error) {
    if (error instanceof NotFoundError) return notFound();
    // The client went away mid-download: nothing to answer.
    o.logger.debug('blob download ended early', { error });
  }
}
