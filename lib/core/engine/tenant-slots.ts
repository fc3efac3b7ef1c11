import type { JobEnvelope } from '../ports/contract.js';
import { MAX_DELAY_MS, type ReceivedMessage } from '../ports/job-queue.js';
import type { Logger } from '../ports/logger.js';
import {
  type Disposition,
  delete_,
  type HeldSlot,
  type MessageSource,
  type RunnerKit,
  type RunnerOptions,
} from './runner-kit.js';

/** The message attribute that counts how many times a message found its tenant's stage full. */
export const THROTTLED_ATTRIBUTE = 'stagecoach-throttled';
/** The first wait of a throttled message; each further time it finds the stage full doubles it. */
export const THROTTLE_BASE_MS = 1_000;
/** The longest wait of a throttled message (before jitter). */
export const THROTTLE_MAX_MS = 30_000;

/**
 * Per-tenant concurrency limits of one stage: how many of a tenant's jobs may run the stage at
 * once (Inngest's concurrency keys, keyed by tenant). Each running stage holds a slot of its
 * tenant's pool for the stage in the store, for as long as its lease, renewed with the lease and
 * freed when the stage ends; a crashed worker's slot lapses with its lease. The holder is the job's
 * hop, so a duplicate delivery or a takeover of the same hop uses the slot it already has.
 *
 * A message that finds its tenant's stage full goes back to its queue with a delay — 1 s, 2 s, 4 s
 * … up to 30 s, with jitter — and its job stays QUEUED, untouched: a new message each time, so the
 * waits count neither as retries nor towards the queue's redrive to the dead-letter queue. Other
 * tenants' messages are not held up, and with fair queues (the tenant as message group) a tenant's
 * throttled backlog is served in turn with everyone else's.
 */
export class TenantSlots {
  readonly #k: RunnerKit;
  readonly #limits: RunnerOptions['runningLimit'];

  constructor(kit: RunnerKit, limits: RunnerOptions['runningLimit']) {
    this.#k = kit;
    this.#limits = limits;
  }

  #limitOf(tenantId: string): number | undefined {
    return this.#limits?.(tenantId, this.#k.pipeline.name, this.#k.stage.name);
  }

  /** Takes the job hop's slot: undefined when the tenant's stage is not limited, 'full' when no slot is free. */
  async take(env: JobEnvelope, now: number): Promise<HeldSlot | undefined | 'full'> {
    const limit = this.#limitOf(env.tenant_id);
    if (limit === undefined) return undefined;
    const slot: HeldSlot = {
      pool: `${env.pipeline}/${env.stage}`,
      holder: `${env.job_id}#${env.hop}`,
      limit,
    };
    const taken = await this.#k.store.acquireSlot({
      tenantId: env.tenant_id,
      pool: slot.pool,
      holder: slot.holder,
      limit,
      expiresAt: now + this.#k.stage.leaseMs,
      now,
    });
    return taken ? slot : 'full';
  }

  /** Extends a held slot by a lease from `now` (a heartbeat's). */
  async renew(env: JobEnvelope, slot: HeldSlot, now: number): Promise<void> {
    const kept = await this.#k.store.acquireSlot({
      tenantId: env.tenant_id,
      pool: slot.pool,
      holder: slot.holder,
      limit: slot.limit,
      expiresAt: now + this.#k.stage.leaseMs,
      now,
    });
    // Only a slot that lapsed (heartbeats failed for a whole lease) and was taken meanwhile is
    // lost; the stage goes on — its lease, not its slot, decides who runs it — one over the limit.
    if (!kept)
      this.#k.log.warn('a running stage lost its concurrency slot', { pool: slot.pool, holder: slot.holder });
  }

  /** Frees a held slot; a failure only leaves it to lapse with its lease. */
  async release(env: JobEnvelope, slot: HeldSlot, log: Logger): Promise<void> {
    await this.#k.store
      .releaseSlot(env.tenant_id, slot.pool, slot.holder)
      .catch((error: unknown) =>
        log.warn('freeing a concurrency slot failed; it lapses with its lease', { error }),
      );
  }

  /** Sends the message again, delayed, and lets this copy go: the job waits for a free slot. */
  async throttle(
    env: JobEnvelope,
    message: ReceivedMessage,
    source: MessageSource,
    log: Logger,
  ): Promise<Disposition> {
    const times = throttledTimes(message.attributes[THROTTLED_ATTRIBUTE]);
    const delayMs = throttleDelayMs(times, this.#k.options.random ?? Math.random);
    await this.#k.send(source, source.queue, [
      {
        body: message.body,
        delayMs,
        group: env.tenant_id,
        attributes: { ...message.attributes, [THROTTLED_ATTRIBUTE]: String(times + 1) },
      },
    ]);
    log.debug('the tenant runs as many of this stage as its limit allows; the job waits', {
      limit: this.#limitOf(env.tenant_id),
      wait_ms: delayMs,
      times_throttled: times + 1,
    });
    return delete_('throttled');
  }
}

/** How many times a message was throttled before, from its attribute (absent or garbled: 0). */
export function throttledTimes(raw: string | undefined): number {
  const n = Number(raw ?? '0');
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 64) : 0;
}

/** The wait before a throttled message is looked at again: doubling from 1 s to 30 s, ×[0.5, 1.5). */
export function throttleDelayMs(times: number, random: () => number): number {
  const base = Math.min(THROTTLE_MAX_MS, THROTTLE_BASE_MS * 2 ** Math.min(times, 16));
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.5 + random())));
}
