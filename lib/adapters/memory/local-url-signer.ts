import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, InvalidParamError, systemClock, ValidationError } from '../../core/ports/index.js';

export type SignedMethod = 'GET' | 'PUT';

export interface VerifiedUrl {
  readonly key: string;
  readonly method: SignedMethod;
}

/**
 * Presigned URLs for the local blob stores, served by the dev runtime's HTTP server under
 * `/blobs/<key>`: an HMAC over method, key and expiry, like S3's query-string signatures.
 */
export class LocalUrlSigner {
  readonly baseUrl: string;
  readonly #secret: Buffer;
  readonly #clock: Clock;

  constructor(baseUrl: string, options: { readonly secret?: Buffer; readonly clock?: Clock } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#secret = options.secret ?? randomBytes(32);
    this.#clock = options.clock ?? systemClock;
  }

  sign(key: string, method: SignedMethod, expiresInS: number): string {
    const expires = Math.floor(this.#clock.now() / 1000) + expiresInS;
    const signature = this.#mac(method, key, expires);
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${this.baseUrl}/blobs/${path}?X-Method=${method}&X-Expires=${expires}&X-Signature=${signature}`;
  }

  /** Checks a request to `/blobs/...`; throws a clear error when the URL is forged or expired. */
  verify(pathAndQuery: string, method: string): VerifiedUrl {
    const url = new URL(pathAndQuery, 'http://local');
    const key = url.pathname
      .replace(/^\/blobs\//, '')
      .split('/')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          throw new ValidationError(
            'The URL has a malformed percent-encoding; use the URL as it was given.',
            {
              code: 'BAD_ENCODING',
            },
          );
        }
      })
      .join('/');
    const signedMethod = url.searchParams.get('X-Method');
    const expires = Number(url.searchParams.get('X-Expires'));
    const signature = url.searchParams.get('X-Signature') ?? '';
    if (signedMethod !== 'GET' && signedMethod !== 'PUT') {
      throw new InvalidParamError('X-Method', 'The URL is not a presigned blob URL.');
    }
    if (signedMethod !== method) {
      throw new InvalidParamError('X-Method', `The URL was signed for ${signedMethod}, not ${method}.`);
    }
    const expected = Buffer.from(this.#mac(signedMethod, key, expires));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new InvalidParamError('X-Signature', 'The URL signature does not match.');
    }
    if (!Number.isFinite(expires) || expires * 1000 < this.#clock.now()) {
      throw new InvalidParamError('X-Expires', 'The presigned URL has expired; ask for a new one.');
    }
    return { key, method: signedMethod };
  }

  #mac(method: string, key: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${method}\n${key}\n${expires}`).digest('hex');
  }
}
