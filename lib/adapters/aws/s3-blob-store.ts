import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobBody, BlobInfo, BlobStore, PresignOptions } from '../../core/ports/index.js';
import { assertBlobKey, NotFoundError } from '../../core/ports/index.js';
import { call, isAwsError } from './errors.js';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Multipart part size for large uploads. @default 8 MiB */
  readonly partSize?: number;
  /** Parts uploaded at once. @default 4 */
  readonly queueSize?: number;
  /**
   * Read a denied GetObject/HeadObject (403) as a missing object. A tenant's session sets it: S3
   * answers 403 instead of 404 for a missing key unless the caller may list the whole bucket, which
   * a session may not (only its prefix); and for a tenant, an object outside its prefix and an
   * absent one get the same answer anyway (see tenantBlobs). @default false
   */
  readonly deniedIsNotFound?: boolean;
}

function notFound(key: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`Object '${key}' does not exist in storage.`, { context: { key }, cause });
}

/**
 * BlobStore on Amazon S3: streaming uploads (multipart beyond one part, through lib-storage),
 * streaming downloads, and presigned GET/PUT URLs that browsers and CLIs use directly.
 */
export class S3BlobStore implements BlobStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #deniedIsNotFound: boolean;

  constructor(s3: S3Client, options: S3BlobStoreOptions) {
    this.#s3 = s3;
    this.#bucket = options.bucket;
    this.#partSize = options.partSize ?? 8 * 1024 * 1024;
    this.#queueSize = options.queueSize ?? 4;
    this.#deniedIsNotFound = options.deniedIsNotFound ?? false;
  }

  #missing(error: unknown): boolean {
    if (isAwsError(error, 'NoSuchKey', 'NotFound')) return true;
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
      ?.httpStatusCode;
    return this.#deniedIsNotFound && status === 403;
  }

  async put(key: string, body: BlobBody, options: { readonly contentType?: string } = {}): Promise<BlobInfo> {
    assertBlobKey(key);
    const upload = new Upload({
      client: this.#s3,
      params: {
        Bucket: this.#bucket,
        Key: key,
        Body: typeof body === 'string' ? Buffer.from(body) : body,
        ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    await call('S3', 'Upload', () => upload.done());
    const info = await this.head(key);
    return info ?? { key, size: 0 };
  }

  async get(key: string): Promise<Uint8Array> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    assertBlobKey(key);
    try {
      const out = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const body = out.Body;
      if (body instanceof Readable) return body;
      if (body === undefined) return Readable.from([]);
      return Readable.from(Buffer.from(await body.transformToByteArray()));
    } catch (error) {
      if (this.#missing(error)) throw notFound(key, error);
      return call('S3', 'GetObject', () => Promise.reject(error));
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertBlobKey(key);
    try {
      const out = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
      };
    } catch (error) {
      if (this.#missing(error)) return undefined;
      return call('S3', 'HeadObject', () => Promise.reject(error));
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await call('S3', 'DeleteObject', () =>
      this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
  }

  async list(prefix: string): Promise<readonly BlobInfo[]> {
    const infos: BlobInfo[] = [];
    let token: string | undefined;
    do {
      const out = await call('S3', 'ListObjectsV2', () =>
        this.#s3.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      for (const object of out.Contents ?? []) {
        if (object.Key !== undefined) infos.push({ key: object.Key, size: object.Size ?? 0 });
      }
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return infos.sort((a, b) => a.key.localeCompare(b.key));
  }

  async presign(key: string, options: PresignOptions): Promise<string> {
    assertBlobKey(key);
    const expiresIn = options.expiresInS ?? 900;
    const command =
      options.method === 'PUT'
        ? new PutObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
          })
        : new GetObjectCommand({ Bucket: this.#bucket, Key: key });
    return call('S3', 'presign', () => getSignedUrl(this.#s3, command, { expiresIn }));
  }
}
