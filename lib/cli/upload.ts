import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { ApiError, unreachable } from '../client/http.js';
import type { OmaClient, UploadUrlAnswer } from '../client/oma.js';

/** Uploads an analysis's measurement CSV (a file path, or bytes) through a presigned PUT. */
export async function uploadMeasurement(
  client: OmaClient,
  structureId: string,
  analysisId: string,
  source: string | Uint8Array,
): Promise<UploadUrlAnswer> {
  const target = await client.uploadUrl(structureId, analysisId);
  if (typeof source === 'string') {
    const size = (await stat(source)).size;
    await put(target.url, createReadStream(source), size);
  } else {
    await put(target.url, Readable.from([Buffer.from(source)]), source.byteLength);
  }
  return target;
}

/**
 * A streaming PUT with a Content-Length, as presigned S3 URLs require (no chunked encoding), on
 * node:http so a large CSV is never held in memory.
 */
export function put(url: string, body: Readable, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'PUT', headers: { 'content-length': String(size) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
          reject(
            new ApiError(status, 'UPLOAD_FAILED', `the upload was refused: ${text || res.statusMessage}`),
          );
        }
      });
    });
    req.on('error', (error) => reject(unreachable(`${target.protocol}//${target.host}`, error)));
    body.on('error', (error) => {
      req.destroy();
      reject(error);
    });
    body.pipe(req);
  });
}
