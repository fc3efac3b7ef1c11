import type { Backend } from '../../lib/core/ports/index.js';

/**
 * Faults injected into a worker's view of the backend, at the Nth call of any port method:
 * - `error`: the call fails before it reaches the backend (a refused request, a throttle);
 * - `lost-reply`: the call takes effect, then fails (a timeout after the write landed);
 * - `crash`: the call fails and the worker is gone — every later call of that worker fails
 *   without reaching the backend, as if its process had been killed.
 */
export type FaultKind = 'error' | 'lost-reply' | 'crash';
export const FAULT_KINDS: readonly FaultKind[] = ['error', 'lost-reply', 'crash'];

export interface FaultPoint {
  /** The 1-based index of the counted call that fails. */
  readonly at: number;
  readonly kind: FaultKind;
}

/** The error a faulty call throws: retryable, like a throttle or a timeout. */
export class InjectedFault extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'InjectedFault';
  }
}

/**
 * Calls whose number depends on timing rather than on the work (polls, caches, flushes): not
 * counted, never failed, so a sweep's call indexes name the same steps from one run to the next.
 * A `receive` is counted only when it returns messages.
 */
const UNCOUNTED = new Set([
  'ensureQueue',
  'depth',
  'flush',
  'watched',
  'listHolds',
  'listTenants',
  'subscribe',
  'subscribeService',
]);

/** Which counted call fails, and how: a fault point, or random faults at a rate. */
export type FaultPlan = (index: number, label: string) => FaultKind | undefined;

export const atPoint =
  (point: FaultPoint | undefined): FaultPlan =>
  (index) =>
    point !== undefined && index === point.at ? point.kind : undefined;

/** Fails each counted call with the probability its kind is given (at most one fault a call). */
export const atRandom =
  (rates: Readonly<Partial<Record<FaultKind, number>>>, random: () => number): FaultPlan =>
  () => {
    let draw = random();
    for (const kind of FAULT_KINDS) {
      const rate = rates[kind] ?? 0;
      if (draw < rate) return kind;
      draw -= rate;
    }
    return undefined;
  };

/** Counts the calls of one worker's ports and fails those its plan names. */
export class FaultInjector {
  /** Counted calls so far, and what they were (`port.method`). */
  readonly calls: string[] = [];
  /** The calls faults hit. */
  readonly fired: string[] = [];
  #crashed = false;
  #armed = true;
  readonly #plan: FaultPlan;
  readonly #onCrash: () => void;

  constructor(plan: FaultPlan, onCrash: () => void = () => undefined) {
    this.#plan = plan;
    this.#onCrash = onCrash;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** No more faults from now on (a crashed worker stays dead). */
  disarm(): void {
    this.#armed = false;
  }

  /** The backend as this worker sees it. */
  backend<B extends Backend>(inner: B): Backend {
    return {
      queue: this.#wrap(inner.queue, 'queue'),
      store: this.#wrap(inner.store, 'store'),
      events: this.#wrap(inner.events, 'events'),
      blobs: this.#wrap(inner.blobs, 'blobs'),
      records: this.#wrap(inner.records, 'records'),
      ...(inner.live === undefined ? {} : { live: inner.live }),
    };
  }

  #wrap<T extends object>(port: T, name: string): T {
    return new Proxy(port, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => this.#call(target, method, args, `${name}.${property}`, property);
      },
    });
  }

  async #call(
    target: object,
    method: (...args: unknown[]) => unknown,
    args: unknown[],
    label: string,
    property: string,
  ): Promise<unknown> {
    if (this.#crashed) throw new InjectedFault(`the worker crashed before ${label}`);
    if (UNCOUNTED.has(property)) return method.apply(target, args);
    if (property === 'receive') {
      const received = await method.apply(target, args);
      if (!Array.isArray(received) || received.length === 0) return received;
      // The messages are in flight now: a failure here loses the answer, not the messages.
      const lost = this.#due(label);
      if (lost !== undefined) this.#fail(label, lost);
      return received;
    }
    const kind = this.#due(label);
    if (kind === 'error' || kind === 'crash') this.#fail(label, kind);
    const result = await method.apply(target, args);
    if (kind === 'lost-reply') this.#fail(label, kind);
    return result;
  }

  #due(label: string): FaultKind | undefined {
    this.calls.push(label);
    return this.#armed ? this.#plan(this.calls.length, label) : undefined;
  }

  #fail(label: string, kind: FaultKind): never {
    this.fired.push(`${kind} at ${label} (call ${this.calls.length})`);
    if (kind === 'crash') {
      this.#crashed = true;
      this.#onCrash();
      throw new InjectedFault(`the worker crashed during ${label}`);
    }
    throw new InjectedFault(
      kind === 'error' ? `injected: ${label} refused` : `injected: ${label} timed out after taking effect`,
    );
  }
}
