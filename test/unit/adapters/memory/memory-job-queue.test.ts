import { describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../../../lib/adapters/memory/memory-job-queue.js';
import {
  ConfigError,
  ManualClock,
  QueueNotFoundError,
  ReceiptHandleError,
} from '../../../../lib/core/ports/index.js';

async function setup() {
  const clock = new ManualClock();
  const queue = new MemoryJobQueue({ clock });
  await queue.ensureQueue({ name: 'dlq', visibilityTimeoutMs: 30_000 });
  await queue.ensureQueue({
    name: 'q',
    visibilityTimeoutMs: 10_000,
    maxReceiveCount: 2,
    deadLetterQueue: 'dlq',
  });
  const receive = (name = 'q', max = 10) => queue.receive(name, { maxMessages: max, waitTimeMs: 0 });
  return { clock, queue, receive };
}

describe('MemoryJobQueue (deterministic clock)', () => {
  it('hides a received message for exactly its visibility timeout', async () => {
    const { clock, queue, receive } = await setup();
    await queue.send('q', [{ body: 'm' }]);
    await receive();
    clock.advance(9_999);
    expect(await receive()).toEqual([]);
    clock.advance(1);
    expect((await receive())[0]?.receiveCount).toBe(2);
  });

  it('delivers a delayed message when its delay is over, not before', async () => {
    const { clock, queue, receive } = await setup();
    await queue.send('q', [{ body: 'later', delayMs: 5_000 }]);
    clock.advance(4_999);
    expect(await receive()).toEqual([]);
    clock.advance(1);
    expect((await receive())[0]?.body).toBe('later');
  });

  it('redrives on the receive after maxReceiveCount, keeping body and attributes', async () => {
    const { clock, queue, receive } = await setup();
    await queue.send('q', [{ body: 'poison', attributes: { a: '1' } }]);
    await receive();
    clock.advance(10_000);
    await receive();
    clock.advance(10_000);
    expect(await receive()).toEqual([]);
    const [dead] = await receive('dlq');
    expect(dead?.body).toBe('poison');
    expect(dead?.attributes).toEqual({ a: '1' });
  });

  it('ignores a stale receipt handle on delete, as SQS does', async () => {
    const { clock, queue, receive } = await setup();
    await queue.send('q', [{ body: 'm' }]);
    const [first] = await receive();
    clock.advance(10_000);
    const [second] = await receive();
    await queue.delete('q', [first?.receiptHandle ?? '']);
    expect((await queue.depth('q')).inFlight).toBe(1);
    await queue.delete('q', [second?.receiptHandle ?? '']);
    expect(await queue.depth('q')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('refuses to change the visibility of a message that is no longer in flight', async () => {
    const { queue, receive } = await setup();
    await queue.send('q', [{ body: 'm' }]);
    const [m] = await receive();
    await queue.delete('q', [m?.receiptHandle ?? '']);
    await expect(queue.changeVisibility('q', m?.receiptHandle ?? '', 0)).rejects.toBeInstanceOf(
      ReceiptHandleError,
    );
  });

  it('explains misuse: unknown queue, missing DLQ, oversized batch or delay', async () => {
    const { queue } = await setup();
    await expect(queue.send('nope', [{ body: 'x' }])).rejects.toBeInstanceOf(QueueNotFoundError);
    await expect(
      queue.ensureQueue({
        name: 'x',
        visibilityTimeoutMs: 1_000,
        maxReceiveCount: 1,
        deadLetterQueue: 'missing',
      }),
    ).rejects.toThrow(/dead-letter queue 'missing' does not exist/);
    await expect(
      queue.send(
        'q',
        Array.from({ length: 11 }, () => ({ body: 'x' })),
      ),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(queue.send('q', [{ body: 'x', delayMs: 16 * 60_000 }])).rejects.toThrow(
      /delayMs must be within/,
    );
  });

  it('keeps a receive to the batch limit of ten', async () => {
    const { queue } = await setup();
    for (let i = 0; i < 3; i += 1)
      await queue.send(
        'q',
        Array.from({ length: 10 }, (_, j) => ({ body: `${i}-${j}` })),
      );
    expect(await queue.receive('q', { maxMessages: 50, waitTimeMs: 0 })).toHaveLength(10);
  });
});
