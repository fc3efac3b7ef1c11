import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../core/ports/index.js';

/** The ECS agent's variable: the base URL of its endpoints inside a task's containers. */
export const ECS_AGENT_URI = 'ECS_AGENT_URI';

export interface TaskProtectionOptions {
  /** `$ECS_AGENT_URI`; undefined outside ECS, where protection does nothing. */
  readonly agentUri: string | undefined;
  readonly logger: Logger;
  /** How long one protection lasts; renewed at half of it while work remains. @default 60 */
  readonly expiresInMinutes?: number;
  /** How long the worker stays protected after its last message, so back-to-back batches do not flap. @default 2000 */
  readonly releaseDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Runs `run` after `ms`; returns a cancel function. @default setTimeout (unref'd) */
  readonly schedule?: (run: () => void, ms: number) => () => void;
}

const defaultSchedule = (run: () => void, ms: number): (() => void) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * ECS task scale-in protection while the worker holds messages: a scale-in (or a deployment) then
 * stops only idle tasks, never one that is halfway through a long analysis. `acquire(n)` counts
 * messages taken into work and protects the task before they run; `release()` counts one finished;
 * when none is left the protection is removed after `releaseDelayMs`. Calls to the agent are made
 * one at a time, in order; a failed call is logged and the work goes on (protection is a safeguard
 * — the graceful stop on SIGTERM still hands unfinished messages back).
 *
 * The agent's endpoint: PUT `${ECS_AGENT_URI}/task-protection/v1/state` with
 * `{ "ProtectionEnabled": true, "ExpiresInMinutes": n }` (1..2880) or `{ "ProtectionEnabled": false }`.
 */
export class TaskProtection {
  readonly #o: TaskProtectionOptions;
  readonly #expiresInMinutes: number;
  readonly #fetch: typeof fetch;
  readonly #schedule: (run: () => void, ms: number) => () => void;
  #inWork = 0;
  #protectedUntil = 0;
  #enabled = false;
  #chain: Promise<void> = Promise.resolve();
  #cancelRelease: (() => void) | undefined;
  #cancelRenew: (() => void) | undefined;

  constructor(options: TaskProtectionOptions) {
    this.#o = options;
    this.#expiresInMinutes = Math.min(2_880, Math.max(1, Math.round(options.expiresInMinutes ?? 60)));
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#schedule = options.schedule ?? defaultSchedule;
  }

  /** Whether this process runs in an ECS task (the agent's endpoint is known). */
  get active(): boolean {
    return this.#o.agentUri !== undefined && this.#o.agentUri !== '';
  }

  /** Messages taken into work and not yet finished. */
  get inWork(): number {
    return this.#inWork;
  }

  /** Whether the task is protected now, as far as the agent has answered. */
  get protected(): boolean {
    return this.#enabled;
  }

  /** Counts `n` messages into work; resolves once the task is protected (or the agent failed). */
  acquire(n = 1): Promise<void> {
    if (n <= 0) return this.#chain;
    this.#inWork += n;
    this.#cancelRelease?.();
    this.#cancelRelease = undefined;
    if (!this.#enabled) return this.#put(true);
    return this.#chain;
  }

  /** Counts one message (or `n`) finished; the last one removes the protection after the delay. */
  release(n = 1): void {
    this.#inWork = Math.max(0, this.#inWork - n);
    if (this.#inWork > 0 || !this.#enabled || this.#cancelRelease !== undefined) return;
    this.#cancelRelease = this.#schedule(() => {
      this.#cancelRelease = undefined;
      if (this.#inWork === 0) void this.#put(false);
    }, this.#o.releaseDelayMs ?? 2_000);
  }

  /** Resolves when every call made so far has been answered. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Stops the renewals (the process is stopping). */
  close(): void {
    this.#cancelRelease?.();
    this.#cancelRenew?.();
    this.#cancelRelease = undefined;
    this.#cancelRenew = undefined;
  }

  #put(enabled: boolean): Promise<void> {
    this.#chain = this.#chain.then(() => this.#send(enabled));
    return this.#chain;
  }

  async #send(enabled: boolean): Promise<void> {
    // Decide from the state when the call is made: work may have ended or begun while we waited.
    const want = enabled ? this.#inWork > 0 : this.#inWork === 0;
    if (!want || (enabled && this.#enabled && Date.now() < this.#protectedUntil - 60_000)) return;
    if (!enabled && !this.#enabled) return;
    this.#cancelRenew?.();
    this.#cancelRenew = undefined;
    if (!this.active) {
      this.#enabled = enabled;
      return;
    }
    const body = enabled
      ? { ProtectionEnabled: true, ExpiresInMinutes: this.#expiresInMinutes }
      : { ProtectionEnabled: false };
    try {
      const response = await this.#fetch(`${this.#o.agentUri}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok || /"failure"|"error"/i.test(text)) {
        this.#o.logger.warn('task protection was not changed', {
          enabled,
          status: response.status,
          answer: text.slice(0, 300),
        });
        return;
      }
      this.#enabled = enabled;
      this.#o.logger.debug(enabled ? 'task protected from scale-in' : 'task protection removed', {
        in_work: this.#inWork,
      });
    } catch (error) {
      this.#o.logger.warn('task protection could not reach the ECS agent', { enabled, error });
      return;
    }
    if (enabled) {
      const lifetimeMs = this.#expiresInMinutes * 60_000;
      this.#protectedUntil = Date.now() + lifetimeMs;
      // Renew at half-life while work remains, so a long stage never outlives its protection.
      this.#cancelRenew = this.#schedule(() => {
        this.#cancelRenew = undefined;
        if (this.#inWork > 0) {
          this.#protectedUntil = 0;
          void this.#put(true);
        }
      }, lifetimeMs / 2);
    }
  }
}

interface ReceiveOutput {
  readonly Messages?: readonly unknown[];
}

const isReceiveOutput = (output: unknown): output is ReceiveOutput =>
  typeof output === 'object' && output !== null && 'Messages' in output;

/**
 * Counts every message the SQS client receives into `protection` before the receive returns, so
 * the task is protected before any of them is processed. The worker releases one per outcome.
 */
export function protectReceivedMessages(sqs: SQSClient, protection: TaskProtection): void {
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ReceiveMessageCommand' && isReceiveOutput(result.output)) {
        const received = result.output.Messages?.length ?? 0;
        if (received > 0) await protection.acquire(received);
      }
      return result;
    },
    { step: 'initialize', name: 'stagecoachTaskProtection', override: true },
  );
}
