import { request } from 'node:http';
import { connect } from 'node:net';
import type { Backend } from '../../lib/core/ports/index.js';

/**
 * Tools for tests that play a hostile client against the local gateway: raw HTTP requests whose
 * bodies and headers no fetch() would send, and a snapshot of everything a request could write.
 */

export interface RawResponse {
  /** The status, or 0 when the server closed the connection without answering. */
  readonly status: number;
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is; a string is UTF-8. */
  readonly body?: Uint8Array | string;
  /** Sent in chunks of this many bytes (Transfer-Encoding: chunked) instead of with a length. */
  readonly chunked?: boolean;
}

/** One request through node:http, resolving with the answer (also when the body was cut off). */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (response: RawResponse): void => {
      if (settled) return;
      settled = true;
      resolve(response);
    };
    const body = r.body === undefined ? undefined : Buffer.from(r.body);
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: r.method,
        path: r.path,
        headers: {
          // Chunked is said outright: Node's client sends a GET's or an OPTIONS' body unframed otherwise.
          ...(body === undefined
            ? {}
            : r.chunked
              ? { 'transfer-encoding': 'chunked' }
              : { 'content-length': String(body.length) }),
          ...r.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', () =>
          done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', () => done({ status: 0, body: '' }));
    if (body !== undefined) {
      if (r.chunked) {
        const size = 64 * 1024;
        for (let at = 0; at < body.length; at += size) req.write(body.subarray(at, at + size));
      } else req.write(body);
    }
    req.end();
  });
}

/**
 * Writes raw bytes to the server and resolves with what it answered once it closes the connection
 * (`closed`), for requests node:http cannot send (a lying length, a slow header, garbage).
 */
export function rawBytes(
  baseUrl: string,
  bytes: Uint8Array | string,
  options: { readonly keepOpen?: boolean } = {},
): Promise<{ readonly status: number; readonly closed: true }> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), closed: true }),
    );
    socket.write(bytes);
    if (!options.keepOpen) socket.end();
  });
}

/** Everything the embedded backend holds that a request could change, as comparable JSON. */
export async function snapshot(backend: Backend, tenants: readonly string[]): Promise<string> {
  const parts: unknown[] = [];
  for (const tenant_id of tenants) {
    const jobs = await backend.store.listJobs({ tenant_id, limit: 1_000 });
    parts.push(
      jobs.items.map((j) => ({ id: j.job_id, status: j.status, version: j.version, hop: j.hop })),
      await backend.store.listHolds({ tenant_id }),
      (await backend.store.listDeadLetters({ tenant_id, limit: 1_000 })).items.map((d) => d.dead_letter_id),
    );
  }
  parts.push((await backend.blobs.list('')).map((b) => `${b.key}:${b.size}`));
  return JSON.stringify(parts);
}
