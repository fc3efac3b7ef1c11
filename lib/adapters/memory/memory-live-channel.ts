import type { LiveChannel, PostResult } from '../../core/ports/index.js';

export type Deliver = (data: string) => void | Promise<void>;

/**
 * Live connections of this process: the local WebSocket server registers each socket here, and
 * the fan-out posts to them. A connection that is not registered (closed) is reported gone.
 */
export class MemoryLiveChannel implements LiveChannel {
  readonly #connections = new Map<string, Deliver>();

  register(connectionId: string, deliver: Deliver): void {
    this.#connections.set(connectionId, deliver);
  }

  unregister(connectionId: string): void {
    this.#connections.delete(connectionId);
  }

  async post(connectionId: string, data: unknown): Promise<PostResult> {
    const deliver = this.#connections.get(connectionId);
    if (deliver === undefined) return 'gone';
    try {
      await deliver(typeof data === 'string' ? data : JSON.stringify(data));
      return 'sent';
    } catch {
      this.#connections.delete(connectionId);
      return 'gone';
    }
  }
}
