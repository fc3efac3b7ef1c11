import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import type { BlobBody, BlobInfo, BlobStore, PresignOptions } from '../../core/ports/index.js';
import { assertBlobKey, bodyToBuffer, ConfigError, NotFoundError } from '../../core/ports/index.js';
import type { LocalUrlSigner } from './local-url-signer.js';

interface Entry {
  readonly data: Buffer;
  readonly contentType: string | undefined;
}

/** Objects in process memory; presigned URLs need a signer served by the dev HTTP server. */
export class MemoryBlobStore implements BlobStore {
  readonly #objects = new Map<string, Entry>();
  #signer: LocalUrlSigner | undefined;

  constructor(options: { readonly signer?: LocalUrlSigner } = {}) {
    this.#signer = options.signer;
  }

  /** Attaches the signer once the local HTTP server knows its address. */
  useSigner(signer: LocalUrlSigner): void {
    this.#signer = signer;
  }

  async put(key: string, body: BlobBody, options: { readonly contentType?: string } = {}): Promise<BlobInfo> {
    assertBlobKey(key);
    const data = await bodyToBuffer(body);
    this.#objects.set(key, { data, contentType: options.contentType });
    return info(key, this.#objects.get(key));
  }

  async get(key: string): Promise<Uint8Array> {
    return this.#entry(key).data;
  }

  async getStream(key: string): Promise<Readable> {
    return ReadableStream.from([this.#entry(key).data]);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key);
    const entry = this.#objects.get(key);
    return entry === undefined ? undefined : info(key, entry);
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    this.#objects.delete(key);
  }

  async list(prefix: string): Promise<readonly BlobInfo[]> {
    return [...this.#objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, entry]) => info(key, entry));
  }

  async presign(key: string, options: PresignOptions): Promise<string> {
    assertBlobKey(key);
    if (this.#signer === undefined) {
      throw new ConfigError('MemoryBlobStore', [
        'presigned URLs need the local HTTP server; start the dev runtime',
      ]);
    }
    return this.#signer.sign(key, options.method, options.expiresInS ?? 900);
  }

  #entry(key: string): Entry {
    assertBlobKey(key);
    const entry = this.#objects.get(key);
    if (entry === undefined)
      throw new NotFoundError(`Object '${key}' does not exist in storage.`, { context: { key } });
    return entry;
  }
}

function info(key: string, entry: Entry | undefined): BlobInfo {
  return {
    key,
    size: entry?.data.byteLength ?? 0,
    ...(entry?.contentType === undefined ? {} : { contentType: entry.contentType }),
  };
}
