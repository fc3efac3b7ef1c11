import { describe, expect, it } from 'vitest';
import type { JobQueue, OutgoingMessage } from '../../../../lib/core/ports/index.js';
import { SendBarrier } from '../../../../lib/shells/lambda/send-barrier.js';

/** A queue that records each send call. */
function recorder(): Pick<JobQueue, 'send'> & { calls: { queue: string; bodies: string[] }[] } {
  const calls: { queue: string; bodies: string[] }[] = [];
  return {
    calls,
    async send(queue: string, messages: readonly OutgoingMessage[]) {
      calls.push({ queue, bodies: messages.map((m) => m.body) });
    },
  };
}

describe('SendBarrier', () => {
  it('holds sends until every record has sent or settled, then releases them together', async () => {
    // Prepare: three records; two send, one finishes without sending.
    const queue = recorder();
    const barrier = new SendBarrier(queue, 3, { maxWaitMs: 10_000 });
    let released = 0;
    // Act
    const first = barrier.send('next', [{ body: 'a' }]).then(() => released++);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const heldWhileWaiting = queue.calls.length;
    const second = barrier.send('next', [{ body: 'b' }]).then(() => released++);
    barrier.settled();
    await Promise.all([first, second]);
    // Assess
    expect(heldWhileWaiting).toBe(0);
    expect(released).toBe(2);
    expect(queue.calls.map((c) => c.queue)).toEqual(['next', 'next']);
    expect(queue.calls.flatMap((c) => c.bodies).sort()).toEqual(['a', 'b']);
  });

  it('releases after maxWaitMs when a record is still running', async () => {
    const queue = recorder();
    const barrier = new SendBarrier(queue, 2, { maxWaitMs: 50 });
    const started = Date.now();
    await barrier.send('next', [{ body: 'a' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(queue.calls).toHaveLength(1);
  });

  it('passes a send failure to the record that sent it', async () => {
    const barrier = new SendBarrier(
      {
        send: async () => {
          throw new Error('queue down');
        },
      },
      1,
    );
    await expect(barrier.send('next', [{ body: 'a' }])).rejects.toThrow('queue down');
  });
});
