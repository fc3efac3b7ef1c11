import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A WebSocket client written on a raw TCP socket, so a test can send what no library would: frames
 * with reserved bits, bad UTF-8, no mask, lying lengths. It reads the server's answer byte by byte.
 */

export interface RawFrame {
  readonly fin?: boolean;
  readonly rsv?: number;
  readonly opcode: number;
  readonly payload?: Uint8Array;
  /** @default true (clients must mask) */
  readonly masked?: boolean;
  /** A length to announce instead of the payload's own. */
  readonly announcedLength?: number;
}

/** Encodes one frame (RFC 6455 §5.2). */
export function encodeFrame(frame: RawFrame): Buffer {
  const payload = Buffer.from(frame.payload ?? new Uint8Array());
  const masked = frame.masked ?? true;
  const length = frame.announcedLength ?? payload.length;
  const head: number[] = [((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | (frame.opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), extended, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

export interface RawSocket {
  readonly socket: Socket;
  /** Everything received after the handshake's response. */
  readonly received: () => Buffer;
  /** Resolves when the server has closed the TCP connection. */
  readonly ended: Promise<void>;
  send(bytes: Uint8Array): void;
}

export interface Handshake {
  readonly status: number;
  readonly raw?: RawSocket;
}

/** Opens a TCP connection and sends the opening handshake; resolves with the status line's code. */
export function rawHandshake(
  url: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<Handshake> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    let buffer = Buffer.alloc(0);
    let answered = false;
    let resolveEnded: () => void = () => undefined;
    const ended = new Promise<void>((r) => {
      resolveEnded = r;
    });
    socket.on('close', () => {
      resolveEnded();
      if (!answered) reject(new Error('connection closed before the handshake was answered'));
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (answered) return;
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      buffer = buffer.subarray(end + 4);
      if (status !== 101) {
        socket.destroy();
        resolve({ status });
        return;
      }
      resolve({
        status,
        raw: {
          socket,
          received: () => buffer,
          ended,
          send: (bytes) => {
            if (socket.writable) socket.write(bytes);
          },
        },
      });
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** The status code of the first close frame the server sent, or undefined when it sent none. */
export function closeCodeOf(received: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= received.length) {
    const opcode = (received[at] ?? 0) & 0x0f;
    let length = (received[at + 1] ?? 0) & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = received.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = Number(received.readBigUInt64BE(offset));
      offset += 8;
    }
    if (opcode === 0x8) return length >= 2 ? received.readUInt16BE(offset) : 1005;
    at = offset + length;
  }
  return undefined;
}
