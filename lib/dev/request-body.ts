import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from '../core/ports/index.js';

/** Why a body was refused: the status to answer and a message that says what to change. */
export interface BodyRefusal {
  readonly status: 400 | 408 | 413;
  readonly code: string;
  readonly message: string;
}

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly refusal: BodyRefusal };

const tooLarge = (limit: number, what: string): BodyRefusal => ({
  status: 413,
  code: 'BODY_TOO_LARGE',
  message: `${what} is over the ${formatBytes(limit)} (${limit}-byte) limit; send large data to storage (an upload URL) and pass its key.`,
});

/**
 * The size a request declares, when it declares one. A Content-Length that is not a plain number is
 * a malformed request (Node's parser refuses most of them before this sees them).
 */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  return /^\d{1,16}$/.test(header) ? Number(header) : Number.NaN;
}

/** A declared body over the limit, refused before a byte of it is read. */
export function refuseDeclared(req: IncomingMessage, limit: number, what: string): BodyRefusal | undefined {
  const declared = declaredLength(req);
  if (declared === undefined) return undefined;
  if (Number.isNaN(declared)) {
    return { status: 400, code: 'BAD_REQUEST', message: 'The Content-Length header is not a number.' };
  }
  return declared > limit ? tooLarge(limit, what) : undefined;
}

/**
 * Reads a request body into memory, never more than `limit` bytes and never for longer than
 * `timeoutMs` (a client that trickles its body is cut off): the limit is applied while reading, so
 * a body is refused without being held, and before anyone looks at who sent it.
 */
export function readLimitedBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
  what = 'The request body',
): Promise<BodyResult> {
  const declared = refuseDeclared(req, limit, what);
  if (declared !== undefined) return Promise.resolve({ ok: false, refusal: declared });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, refusal: tooLarge(limit, what) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks) });
    const onError = (): void =>
      finish({
        ok: false,
        refusal: { status: 400, code: 'BAD_REQUEST', message: `${what} was cut off before its end.` },
      });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          refusal: {
            status: 408,
            code: 'REQUEST_TIMEOUT',
            message: `${what} did not arrive within ${timeoutMs} ms; send it at once.`,
          },
        }),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** How much of a refused body is still read (and dropped) so the client sees the answer. */
const LINGER_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 5_000;

/**
 * Answers a refused request. A body over the limit is answered at once; a client still sending it
 * would get a reset instead of the answer if the socket closed under it, so the rest is read and
 * dropped — up to a bound, after which the connection is cut (nothing of it is kept). A client too
 * slow to send its body, or one that broke it off, is answered and disconnected.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, refusal: BodyRefusal): void {
  const linger = refusal.status === 413 && !req.complete;
  if (!res.headersSent) {
    res.writeHead(refusal.status, {
      'content-type': 'application/json',
      ...(linger ? {} : { connection: 'close' }),
    });
    res.end(JSON.stringify({ error: { code: refusal.code, message: refusal.message } }));
  } else res.end();
  if (!linger) {
    if (refusal.status === 408) res.once('finish', () => req.socket.destroy());
    return;
  }
  let dropped = 0;
  const cut = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('error', cut);
  req.resume();
}

/** Passes a stream through, failing it once more than `limit` bytes have gone by. */
export function byteLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(new BodyLimitError(tooLarge(limit, what)));
      else callback(null, chunk);
    },
  });
}

/** A stream stopped by {@link byteLimit}. */
export class BodyLimitError extends Error {
  readonly refusal: BodyRefusal;
  constructor(refusal: BodyRefusal) {
    super(refusal.message);
    this.refusal = refusal;
  }
}
