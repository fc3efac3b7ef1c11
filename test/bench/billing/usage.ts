import { PRICE } from './prices.js';

/** Lambda usage of one function: invocations and GB-seconds (framework work, and the stage's own). */
export interface FunctionUsage {
  invocations: number;
  gbSeconds: number;
  /** GB-seconds of the stages' own work (the 10 s of a progress-reporting stage), kept apart. */
  workGbSeconds: number;
  /** Modelled billed duration of each invocation, ms. */
  readonly billedMs: number[];
  /** Wall time of each invocation on this machine against moto_server, ms (for reference). */
  readonly wallMs: number[];
  /** The part of it not spent waiting for a call or the stage's work: the function's own time, ms. */
  readonly localMs: number[];
}

/** What one operation (service.Action) was billed. */
export interface OperationUsage {
  calls: number;
  wru: number;
  gsiWru: number;
  rru: number;
  sqsRequests: number;
  events: number;
  wsMessages: number;
}

/** Billed units of a part of a run (the submissions, the hops, the fan-out...). */
export class Usage {
  readonly operations = new Map<string, OperationUsage>();
  readonly indexWrites = new Map<string, number>();
  readonly functions = new Map<string, FunctionUsage>();
  /** Receives that found nothing: billed, but a cost per queue and hour, not per job. */
  idleReceives = 0;
  /** Requests a container makes once when it starts (queue URLs): billed, amortised over its life. */
  coldStartRequests = 0;
  /** Bytes of events the archive keeps (every event but stage.progress). */
  archiveBytes = 0;
  /** The largest item a DynamoDB write billed (before or after it), bytes. */
  largestItem = 0;

  op(key: string): OperationUsage {
    let usage = this.operations.get(key);
    if (usage === undefined) {
      usage = { calls: 0, wru: 0, gsiWru: 0, rru: 0, sqsRequests: 0, events: 0, wsMessages: 0 };
      this.operations.set(key, usage);
    }
    return usage;
  }

  fn(name: string): FunctionUsage {
    let usage = this.functions.get(name);
    if (usage === undefined) {
      usage = { invocations: 0, gbSeconds: 0, workGbSeconds: 0, billedMs: [], wallMs: [], localMs: [] };
      this.functions.set(name, usage);
    }
    return usage;
  }

  total(field: keyof OperationUsage): number {
    let sum = 0;
    for (const usage of this.operations.values()) sum += usage[field];
    return sum;
  }

  get invocations(): number {
    let sum = 0;
    for (const f of this.functions.values()) sum += f.invocations;
    return sum;
  }

  get gbSeconds(): number {
    let sum = 0;
    for (const f of this.functions.values()) sum += f.gbSeconds;
    return sum;
  }

  get workGbSeconds(): number {
    let sum = 0;
    for (const f of this.functions.values()) sum += f.workGbSeconds;
    return sum;
  }

  /** Adds `other`'s figures into this one. */
  add(other: Usage): this {
    for (const [key, u] of other.operations) {
      const mine = this.op(key);
      for (const field of Object.keys(u) as (keyof OperationUsage)[]) mine[field] += u[field];
    }
    for (const [key, n] of other.indexWrites) this.indexWrites.set(key, (this.indexWrites.get(key) ?? 0) + n);
    for (const [name, f] of other.functions) {
      const mine = this.fn(name);
      mine.invocations += f.invocations;
      mine.gbSeconds += f.gbSeconds;
      mine.workGbSeconds += f.workGbSeconds;
      mine.billedMs.push(...f.billedMs);
      mine.wallMs.push(...f.wallMs);
      mine.localMs.push(...f.localMs);
    }
    this.idleReceives += other.idleReceives;
    this.coldStartRequests += other.coldStartRequests;
    this.archiveBytes += other.archiveBytes;
    this.largestItem = Math.max(this.largestItem, other.largestItem);
    return this;
  }
}

/** Dollars by line item. */
export interface Cost {
  readonly sqs: number;
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly eventBridge: number;
  readonly lambdaRequests: number;
  readonly lambdaCompute: number;
  readonly webSocket: number;
  readonly archive: number;
  readonly httpApi: number;
}

export const costTotal = (c: Cost): number => Object.values(c).reduce((sum: number, v: number) => sum + v, 0);

export function costOf(
  usage: Usage,
  options: {
    readonly architecture: 'arm64' | 'x86_64';
    readonly httpRequests?: number;
    /** Months the archive keeps an event. @default 12 */
    readonly archiveMonths?: number;
    /** Count the stages' own work (GB-seconds) too. @default false */
    readonly withWork?: boolean;
  },
): Cost {
  const gb = usage.archiveBytes / 1024 ** 3;
  return {
    sqs: usage.total('sqsRequests') * PRICE.sqsRequest,
    dynamoWrites: (usage.total('wru') + usage.total('gsiWru')) * PRICE.dynamoWriteUnit,
    dynamoReads: usage.total('rru') * PRICE.dynamoReadUnit,
    eventBridge: usage.total('events') * PRICE.eventBridgeEvent,
    lambdaRequests: usage.invocations * PRICE.lambdaRequest,
    lambdaCompute:
      (usage.gbSeconds + (options.withWork === true ? usage.workGbSeconds : 0)) *
      PRICE.lambdaGbSecond[options.architecture],
    webSocket: usage.total('wsMessages') * PRICE.webSocketMessage,
    archive: gb * (PRICE.archiveGbProcessed + PRICE.archiveGbMonth * (options.archiveMonths ?? 12)),
    httpApi: (options.httpRequests ?? 0) * PRICE.httpApiRequest,
  };
}
