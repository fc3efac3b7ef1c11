import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type Checkpoint, type RunControl, toCheckpoint } from '../control.js';
import { InvalidOptionError } from '../errors.js';
import { formatScientific } from './csv-number.js';

/**
 * Writes multichannel data as CSV (header row, optional leading time column, numbers in
 * scientific notation with a fixed count of significant digits), formatting straight into a
 * byte buffer so that generating a large test file takes seconds, not minutes.
 */
export interface CsvWriteOptions {
  readonly fs?: number;
  readonly names?: readonly string[];
  /** Write a time column (needs fs). @default true when fs is given */
  readonly timeColumn?: boolean;
  /** @default ',' */
  readonly delimiter?: ',' | ';' | '\t' | ' ';
  /** Significant digits per value. @default 7 */
  readonly digits?: number;
  /** Line ending. @default '\n' */
  readonly newline?: '\n' | '\r\n';
}

const BUFFER_BYTES = 1 << 20;

export async function writeCsv(
  target: string | Writable,
  channels: readonly (Float64Array | Float32Array)[],
  options: CsvWriteOptions = {},
  control: RunControl | Checkpoint = {},
): Promise<void> {
  const l = channels.length;
  const n = channels[0]?.length ?? 0;
  const digits = options.digits ?? 7;
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) {
    throw new InvalidOptionError('digits', `digits must be an integer in [1, 17], got ${digits}`);
  }
  const fs = options.fs;
  const withTime = options.timeColumn ?? fs !== undefined;
  if (withTime && !(fs !== undefined && fs > 0)) {
    throw new InvalidOptionError('fs', 'a time column needs a positive sampling rate');
  }
  const delimiter = options.delimiter ?? ',';
  const newline = options.newline ?? '\n';
  const names = options.names ?? channels.map((_, i) => `ch${i + 1}`);
  const header = `${[...(withTime ? ['time'] : []), ...names].join(delimiter)}${newline}`;
  const checkpoint = toCheckpoint(control);
  const sink = await openSink(target);
  try {
    await sink.write(Buffer.from(header, 'utf8'));
    const buf = Buffer.allocUnsafe(BUFFER_BYTES);
    const maxRow = (l + 1) * (digits + 10) + 40;
    const dByte = delimiter.charCodeAt(0);
    const timeDecimals = fs === undefined ? 0 : Math.max(3, Math.ceil(Math.log10(fs)) + 3);
    let p = 0;
    for (let t = 0; t < n; t++) {
      if (p + maxRow > BUFFER_BYTES) {
        await sink.write(buf.subarray(0, p));
        p = 0;
        await checkpoint.tick(t / n, 'writing CSV');
      }
      if (withTime && fs !== undefined) {
        p += buf.write((t / fs).toFixed(timeDecimals), p, 'latin1');
        buf[p++] = dByte;
      }
      for (let c = 0; c < l; c++) {
        if (c > 0) buf[p++] = dByte;
        p = formatScientific(buf, p, (channels[c] as Float64Array)[t] as number, digits);
      }
      if (newline === '\r\n') buf[p++] = 13;
      buf[p++] = 10;
    }
    if (p > 0) await sink.write(buf.subarray(0, p));
  } finally {
    await sink.close();
  }
}

interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

async function openSink(target: string | Writable): Promise<Sink> {
  if (typeof target === 'string') {
    const handle = await open(target, 'w');
    return {
      write: async (bytes) => {
        let off = 0;
        while (off < bytes.length) off += (await handle.write(bytes, off, bytes.length - off)).bytesWritten;
      },
      close: () => handle.close(),
    };
  }
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        // Copy: the caller reuses its buffer, and a stream may hold on to the chunk.
        const ok = target.write(Buffer.from(bytes), (err) => (err ? reject(err) : undefined));
        if (ok) resolve();
        else target.once('drain', () => resolve());
      }),
    close: () => new Promise<void>((resolve) => target.end(() => resolve())),
  };
}
