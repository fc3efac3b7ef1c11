/** LiveChannel: push to one connected client; tells the caller when the connection is gone. */

export type PostResult = 'sent' | 'gone';

export interface LiveChannel {
  post(connectionId: string, data: unknown): Promise<PostResult>;
}
