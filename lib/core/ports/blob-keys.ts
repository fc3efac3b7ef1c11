import { Readable } from 'node:stream';
import type { BlobBody } from './blob-store.js';
import { InvalidParamError } from './errors.js';

const hasControlOrBackslash = (key: string): boolean =>
  [...key].some((ch) => ch === '\\' || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/**
 * Blob keys are S3-style paths: 1-1024 characters, `/`-separated segments, no empty, `.` or `..`
 * segment, no backslash or control character. Every BlobStore checks keys the same way, so a key
 * that works locally works on S3.
 */
export function assertBlobKey(key: string): void {
  const problem =
    typeof key !== 'string' || key.length === 0 || key.length > 1024
      ? 'must be 1-1024 characters'
      : key.startsWith('/') || key.endsWith('/')
        ? 'must not start or end with /'
        : key.split('/').some((part) => part === '' || part === '.' || part === '..')
          ? 'must not contain empty, . or .. segments'
          : hasControlOrBackslash(key)
            ? 'must not contain backslashes or control characters'
            : undefined;
  if (problem !== undefined) {
    throw new InvalidParamError('key', `Blob key '${String(key).slice(0, 80)}' ${problem}.`);
  }
}

/** Reads a body of any accepted kind into one buffer. */
export async function bodyToBuffer(body: BlobBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A body of any accepted kind as a stream. */
export function bodyToStream(body: BlobBody): Readable {
  if (typeof body === 'string' || body instanceof Uint8Array) return Readable.from([Buffer.from(body)]);
  return body;
}
