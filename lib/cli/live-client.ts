import WebSocket from 'ws';
import { z } from 'zod';
import { ApiError } from './api-client.js';

/**
 * The live side of the command line: a WebSocket to the API's live endpoint (a job's events and
 * progress, the tenant's stream, service events), with subscriptions confirmed before they count.
 */

export const JobEventSchema = z.object({
  event_id: z.string().optional(),
  time: z.string().optional(),
  type: z.string(),
  job_id: z.string(),
  stage: z.string(),
  status: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

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

export class LiveClient {
  readonly #ws: WebSocket;
  readonly #handlers = new Set<(message: LiveMessage) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        return;
      }
      const parsed = LiveMessageSchema.safeParse(json);
      if (!parsed.success) return;
      for (const handler of this.#handlers) handler(parsed.data);
    });
  }

  static connect(wsUrl: string, token: string): Promise<LiveClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`);
      ws.once('open', () => resolve(new LiveClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(
          new ApiError(
            res.statusCode ?? 0,
            'WEBSOCKET_REFUSED',
            `the WebSocket at ${wsUrl} refused the connection (check --token)`,
          ),
        );
      });
      ws.once('error', (error) =>
        reject(
          new ApiError(
            0,
            'UNREACHABLE',
            `cannot reach the WebSocket at ${wsUrl} (${error.message}); check --ws-url`,
          ),
        ),
      );
    });
  }

  onMessage(handler: (message: LiveMessage) => void): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  subscribeJob(jobId: string): Promise<void> {
    return this.#subscribe({ action: 'subscribe', job_id: jobId }, `job:${jobId}`);
  }

  subscribeTenant(): Promise<void> {
    return this.#subscribe({ action: 'subscribe', stream: 'tenant' }, 'tenant:');
  }

  close(): void {
    this.#ws.close();
  }

  #subscribe(request: Record<string, string>, topic: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ApiError(0, 'TIMEOUT', 'the WebSocket did not confirm the subscription within 10 s'));
      }, 10_000);
      const off = this.onMessage((message) => {
        if (message.type === 'subscribed' && message.topic.startsWith(topic)) {
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
