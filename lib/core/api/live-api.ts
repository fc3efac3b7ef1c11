import { z } from 'zod';
import type { Caller } from '../control/job-requests.js';
import type { JobService } from '../control/jobs.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { StagecoachError } from '../ports/errors.js';
import { jobTopic, type Topic, tenantTopic } from '../ports/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { LiveChannel } from '../ports/live-channel.js';
import { type Logger, silentLogger } from '../ports/logger.js';

/** What a client may send on its WebSocket. */
export const LiveRequestSchema = z.union([
  z.object({ action: z.literal('subscribe'), job_id: z.string().min(1).max(128) }).strict(),
  z.object({ action: z.literal('subscribe'), stream: z.literal('tenant') }).strict(),
  z.object({ action: z.literal('unsubscribe'), job_id: z.string().min(1).max(128) }).strict(),
  z.object({ action: z.literal('unsubscribe'), stream: z.literal('tenant') }).strict(),
  z.object({ action: z.literal('ping') }).strict(),
]);
export type LiveRequest = z.infer<typeof LiveRequestSchema>;

/** What the server sends back to a request (events arrive as `{ type: 'event', event }`). */
export type LiveReply =
  | { readonly type: 'subscribed' | 'unsubscribed'; readonly topic: Topic }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/**
 * The WebSocket side of the API, independent of transport: connections are stored with their
 * tenant at $connect; a client subscribes to one of its tenant's jobs or to its tenant's stream;
 * replies go back through the LiveChannel. A job of another tenant is "not found", as over HTTP.
 */
export class LiveApi {
  readonly #store: JobStore;
  readonly #live: LiveChannel;
  readonly #jobs: JobService;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onSubscribed: ((tenantId: string) => void) | undefined;

  constructor(options: {
    readonly store: JobStore;
    readonly live: LiveChannel;
    readonly jobs: JobService;
    readonly clock?: Clock;
    readonly logger?: Logger;
    /** Called after a subscription is stored (a runner in this process stops caching "unwatched"). */
    readonly onSubscribed?: (tenantId: string) => void;
  }) {
    this.#onSubscribed = options.onSubscribed;
    this.#store = options.store;
    this.#live = options.live;
    this.#jobs = options.jobs;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'live-api' });
  }

  async connect(connectionId: string, caller: Caller): Promise<void> {
    await this.#store.putConnection({
      connection_id: connectionId,
      tenant_id: caller.tenantId,
      connected_at: new Date(this.#clock.now()).toISOString(),
      ...(caller.userId === undefined ? {} : { user_id: caller.userId }),
    });
  }

  async disconnect(connectionId: string): Promise<void> {
    await this.#store.deleteConnection(connectionId);
  }

  /** Handles one client message and posts the reply; returns the reply for transports that answer inline. */
  async message(connectionId: string, body: string | undefined): Promise<LiveReply> {
    const reply = await this.#reply(connectionId, body);
    await this.#live.post(connectionId, reply).catch((error: unknown) => {
      this.#log.warn('could not reply on the connection', { error, connection_id: connectionId });
    });
    return reply;
  }

  async #reply(connectionId: string, body: string | undefined): Promise<LiveReply> {
    const connection = await this.#store.getConnection(connectionId);
    if (connection === undefined) {
      return {
        type: 'error',
        code: 'UNAUTHENTICATED',
        message: 'Unknown connection; reconnect with a valid token.',
      };
    }
    let request: LiveRequest;
    try {
      const parsed = LiveRequestSchema.safeParse(JSON.parse(body ?? ''));
      if (!parsed.success) throw parsed.error;
      request = parsed.data;
    } catch {
      return {
        type: 'error',
        code: 'BAD_REQUEST',
        message:
          'Send JSON such as {"action":"subscribe","job_id":"..."}, {"action":"subscribe","stream":"tenant"}, {"action":"unsubscribe",...} or {"action":"ping"}.',
      };
    }
    if (request.action === 'ping') return { type: 'pong' };
    const caller: Caller = { tenantId: connection.tenant_id };
    const topic =
      'job_id' in request ? jobTopic(caller.tenantId, request.job_id) : tenantTopic(caller.tenantId);
    try {
      if ('job_id' in request) await this.#jobs.get(request.job_id, caller);
      if (request.action === 'subscribe') {
        await this.#store.subscribe({ connection_id: connectionId, topic, tenant_id: caller.tenantId });
        this.#onSubscribed?.(caller.tenantId);
        return { type: 'subscribed', topic };
      }
      await this.#store.unsubscribe(connectionId, topic);
      return { type: 'unsubscribed', topic };
    } catch (error) {
      if (error instanceof StagecoachError && !error.retryable) {
        return { type: 'error', code: error.code, message: error.message };
      }
      this.#log.error('live request failed', { error, connection_id: connectionId });
      return { type: 'error', code: 'INTERNAL', message: 'The request failed; try again.' };
    }
  }
}
