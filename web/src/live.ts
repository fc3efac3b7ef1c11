import { LiveClient, type LiveMessage } from '../../lib/client/live.js';

/**
 * One WebSocket per tab, subscribed to the tenant's stream, shared by every page: pages add a
 * listener and get every job event and service event of their tenant. The socket reconnects
 * (1, 2, 4 … 30 s) when the network or the server drops it; `onState` tells the header.
 */
export type LiveState = 'connecting' | 'live' | 'offline';

export class LiveFeed {
  readonly #wsUrl: string;
  readonly #token: string;
  readonly #listeners = new Set<(message: LiveMessage) => void>();
  readonly #stateListeners = new Set<(state: LiveState) => void>();
  readonly #jobs = new Set<string>();
  #client: LiveClient | undefined;
  #closed = false;
  #delay = 1_000;
  state: LiveState = 'connecting';

  constructor(wsUrl: string, token: string) {
    this.#wsUrl = wsUrl;
    this.#token = token;
    void this.#connect();
  }

  on(listener: (message: LiveMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => {
      this.#stateListeners.delete(listener);
    };
  }

  /** Progress events reach a job's subscribers; the tenant stream carries the lifecycle. */
  watchJob(jobId: string): void {
    if (this.#jobs.has(jobId)) return;
    this.#jobs.add(jobId);
    this.#client?.subscribeJob(jobId).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.#client?.close();
  }

  #set(state: LiveState): void {
    this.state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    this.#set('connecting');
    try {
      const client = await LiveClient.connect(this.#wsUrl, this.#token);
      this.#client = client;
      client.onMessage((message) => {
        for (const listener of this.#listeners) listener(message);
      });
      client.onClose(() => {
        this.#client = undefined;
        if (!this.#closed) this.#retry();
      });
      await client.subscribeTenant();
      for (const jobId of this.#jobs) await client.subscribeJob(jobId).catch(() => undefined);
      this.#delay = 1_000;
      this.#set('live');
    } catch {
      // An open socket that failed to subscribe is closed, and its close handler retries.
      if (this.#client === undefined) this.#retry();
      else this.#client.close();
    }
  }

  #retry(): void {
    this.#set('offline');
    setTimeout(() => void this.#connect(), this.#delay);
    this.#delay = Math.min(30_000, this.#delay * 2);
  }
}
