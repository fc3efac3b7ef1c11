import { z } from 'zod';
import { ApiError } from './http.js';
import { JobEventSchema } from './jobs.js';

/**
 * The live side of the client: a WebSocket to the API's live endpoint (a job's events and
 * progress, the tenant's stream, service events), with subscriptions confirmed before they count.
 */

export const LiveMessageSchema = z.union([
  z.object({ type: z.literal('event'), event: JobEventSchema }),
  z.object({
    type: z.literal('service'),
    event: z.object({
      type: z.string(),
      job_id: z.string().optional(),
      time: z.string(),
      detail: z.unknown(),
    }),
  }),
  z.object({ type: z.enum(['subscribed', 'unsubscribed']), topic: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type LiveMessage = z.output<typeof LiveMessageSchema>;

/** The local dev runtime serves WebSockets at <url>/ws; a deployment has its own WebSocketUrl. */
export const defaultWsUrl = (httpUrl: string): string =>
  `${httpUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;

/**
 * The part of a WebSocket the live client uses: the browser's WebSocket has it, and so has Node's
 * `ws` (lib/cli/node-socket.ts opens one with the errors a terminal should see).
 */
export interface LiveSocket {
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
}

/** Opens a socket to `url`; resolves once it is open, rejects with an {@link ApiError}. */
export type SocketOpener = (url: string, wsUrl: string) => Promise<LiveSocket>;

interface BrowserWebSocket extends LiveSocket {
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'open' | 'error' | 'close', listener: () => void): void;
}
type BrowserWebSocketConstructor = new (url: string) => BrowserWebSocket;

const isConstructor = (value: unknown): value is BrowserWebSocketConstructor => typeof value === 'function';

/** The platform's own WebSocket (browsers; Node 22 and later). */
export const openPlatformSocket: SocketOpener = (url, wsUrl) =>
  new Promise((resolve, reject) => {
    const WebSocketClass: unknown = Reflect.get(globalThis, 'WebSocket');
    if (!isConstructor(WebSocketClass)) {
      reject(new ApiError(0, 'UNSUPPORTED', 'this platform has no WebSocket; pass a socket opener'));
      return;
    }
    const socket = new WebSocketClass(url);
    socket.addEventListener('open', () => resolve(socket));
    socket.addEventListener('error', () =>
      reject(new ApiError(0, 'UNREACHABLE', `cannot open the WebSocket at ${wsUrl}`)),
    );
  });

export class LiveClient {
  readonly #ws: LiveSocket;
  readonly #handlers = new Set<(message: LiveMessage) => void>();

  private constructor(ws: LiveSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (event) => {
      let json: unknown;
      try {
        json = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const parsed = LiveMessageSchema.safeParse(json);
      if (!parsed.success) return;
      for (const handler of this.#handlers) handler(parsed.data);
    });
  }

  /** Connects with a token (`?token=`, as API Gateway's WebSocket authorizer reads it). */
  static async connect(
    wsUrl: string,
    token: string,
    open: SocketOpener = openPlatformSocket,
  ): Promise<LiveClient> {
    return new LiveClient(await open(`${wsUrl}?token=${encodeURIComponent(token)}`, wsUrl));
  }

  /** Called once when the server or the network closes the socket. */
  onClose(handler: () => void): void {
    this.#ws.addEventListener('close', handler);
  }

  onMessage(handler: (message: LiveMessage) => void): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  subscribeJob(jobId: string): Promise<void> {
    return this.#subscribe(
      { action: 'subscribe', job_id: jobId },
      (topic) => topic.startsWith('job:') && topic.endsWith(`/${jobId}`),
    );
  }

  subscribeTenant(): Promise<void> {
    return this.#subscribe({ action: 'subscribe', stream: 'tenant' }, (topic) => topic.startsWith('tenant:'));
  }

  close(): void {
    this.#ws.close();
  }

  #subscribe(request: Record<string, string>, matches: (topic: string) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ApiError(0, 'TIMEOUT', 'the WebSocket did not confirm the subscription within 10 s'));
      }, 10_000);
      const off = this.onMessage((message) => {
        if (message.type === 'subscribed' && matches(message.topic)) {
          clearTimeout(timer);
          off();
          resolve();
        } else if (message.type === 'error') {
          clearTimeout(timer);
          off();
          reject(new ApiError(0, message.code, message.message));
        }
      });
      this.#ws.send(JSON.stringify(request));
    });
  }
}
