import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobBody, BlobInfo, BlobStore, PresignOptions } from '../../core/ports/index.js';
import { assertBlobKey, bodyToStream, ConfigError, NotFoundError } from '../../core/ports/index.js';
import type { LocalUrlSigner } from './local-url-signer.js';

const META_DIR = '.meta';

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/**
 * Objects as files under a local folder (the embedded backend's storage). Writes go to a temporary
 * file renamed into place, so a reader never sees half an object; bodies stream in and out.
 */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  #signer: LocalUrlSigner | undefined;

  constructor(root: string, options: { readonly signer?: LocalUrlSigner } = {}) {
    this.root = resolve(root);
    this.#signer = options.signer;
  }

  useSigner(signer: LocalUrlSigner): void {
    this.#signer = signer;
  }

  async put(key: string, body: BlobBody, options: { readonly contentType?: string } = {}): Promise<BlobInfo> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      await pipeline(bodyToStream(body), createWriteStream(tmp));
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    const meta = this.#metaPath(key);
    if (options.contentType === undefined) await rm(meta, { force: true });
    else {
      await mkdir(dirname(meta), { recursive: true });
      await writeFile(meta, JSON.stringify({ contentType: options.contentType }));
    }
    const { size } = await stat(path);
    return { key, size, ...(options.contentType === undefined ? {} : { contentType: options.contentType }) };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.#path(key));
    } catch (error) {
      throw isMissing(error) ? notFound(key) : error;
    }
  }

  async getStream(key: string): Promise<Readable> {
    const path = this.#path(key);
    if ((await this.head(key)) === undefined) throw notFound(key);
    return createReadStream(path);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const { size, isFile } = await stat(this.#path(key)).then((s) => ({
        size: s.size,
        isFile: s.isFile(),
      }));
      if (!isFile) return undefined;
      const contentType = await this.#contentType(key);
      return { key, size, ...(contentType === undefined ? {} : { contentType }) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
    await rm(this.#metaPath(key), { force: true });
  }

  async list(prefix: string): Promise<readonly BlobInfo[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const keys = entries
      .map((entry) => entry.split(sep).join('/'))
      .filter((key) => !key.startsWith(`${META_DIR}/`) && key !== META_DIR && !key.endsWith('.tmp'))
      .filter((key) => key.startsWith(prefix))
      .sort();
    const infos = await Promise.all(keys.map((key) => this.head(key)));
    return infos.filter((i): i is BlobInfo => i !== undefined);
  }

  async presign(key: string, options: PresignOptions): Promise<string> {
    assertBlobKey(key);
    if (this.#signer === undefined) {
      throw new ConfigError('FileBlobStore', [
        'presigned URLs need the local HTTP server; start the dev runtime',
      ]);
    }
    return this.#signer.sign(key, options.method, options.expiresInS ?? 900);
  }

  #path(key: string): string {
    assertBlobKey(key);
    if (key === META_DIR || key.startsWith(`${META_DIR}/`)) {
      throw new ConfigError('FileBlobStore', [`keys under '${META_DIR}/' are reserved`]);
    }
    const path = join(this.root, ...key.split('/'));
    if (relative(this.root, path).startsWith('..'))
      throw new ConfigError('FileBlobStore', ['key escapes the root']);
    return path;
  }

  #metaPath(key: string): string {
    return `${join(this.root, META_DIR, ...key.split('/'))}.json`;
  }

  async #contentType(key: string): Promise<string | undefined> {
    try {
      const meta: unknown = JSON.parse(await readFile(this.#metaPath(key), 'utf8'));
      return typeof meta === 'object' &&
        meta !== null &&
        'contentType' in meta &&
        typeof meta.contentType === 'string'
        ? meta.contentType
        : undefined;
    } catch {
      return undefined;
    }
  }
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`Object '${key}' does not exist in storage.`, { context: { key } });
}
