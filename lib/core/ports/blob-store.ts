import type { Readable } from 'node:stream';

/** BlobStore: large inputs and outputs; the contract carries their keys. */

export type BlobBody = Uint8Array | string | Readable;

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly contentType?: string;
}

export interface PresignOptions {
  readonly method: 'GET' | 'PUT';
  readonly expiresInS?: number;
  readonly contentType?: string;
}

export interface BlobStore {
  put(key: string, body: BlobBody, options?: { readonly contentType?: string }): Promise<BlobInfo>;
  /** The whole object; {@link NotFoundError} when absent. */
  get(key: string): Promise<Uint8Array>;
  /** The object as a stream, for large objects; {@link NotFoundError} when absent. */
  getStream(key: string): Promise<Readable>;
  head(key: string): Promise<BlobInfo | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<readonly BlobInfo[]>;
  /** A URL a client can GET or PUT directly. */
  presign(key: string, options: PresignOptions): Promise<string>;
}
