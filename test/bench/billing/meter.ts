import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import {
  DescribeTableCommand,
  DynamoDBClient,
  type AttributeValue as DynamoValue,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  BuildHandler,
  BuildHandlerArguments,
  BuildHandlerOutput,
  BuildMiddleware,
  HandlerExecutionContext,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';
import {
  type AttributeValue,
  chunks,
  eventEntryBytes,
  type IndexSpec,
  type Item,
  indexWrites,
  itemSize,
  type ReadMode,
  readUnits,
  sqsMessageBytes,
  writeUnits,
} from './units.js';
import { Usage } from './usage.js';

/**
 * Typical in-region latencies (ms) of the calls a function waits for, used to model Lambda's
 * billed duration: this machine's round trips to moto_server say nothing about AWS's.
 */
export const LATENCY_MS: Readonly<Record<string, number>> = {
  'DynamoDB.GetItem': 4,
  'DynamoDB.Query': 5,
  'DynamoDB.BatchGetItem': 6,
  'DynamoDB.PutItem': 6,
  'DynamoDB.UpdateItem': 6,
  'DynamoDB.DeleteItem': 6,
  'DynamoDB.BatchWriteItem': 8,
  'DynamoDB.TransactWriteItems': 12,
  'SQS.SendMessageBatch': 10,
  'SQS.SendMessage': 8,
  'SQS.ChangeMessageVisibility': 8,
  'SQS.DeleteMessageBatch': 8,
  'EventBridge.PutEvents': 20,
  'ApiGatewayManagementApi.PostToConnection': 25,
};
const DEFAULT_LATENCY_MS = 10;
const latency = (op: string): number => LATENCY_MS[op] ?? DEFAULT_LATENCY_MS;
/** Calls a stage's record does not wait for: publishing is fire-and-forget (flushed at the end). */
const OFF_PATH = new Set(['EventBridge.PutEvents', 'DynamoDB.Query']);

interface CallTrace {
  readonly op: string;
  readonly t0: number;
  t1: number;
}

interface RecordTrace {
  readonly calls: CallTrace[];
  readonly work: [number, number][];
  t0: number;
  t1: number;
}

interface Invocation {
  readonly calls: CallTrace[];
  readonly records: RecordTrace[];
  readonly work: [number, number][];
}

interface Scope {
  readonly usage: Usage;
  readonly invocation?: Invocation;
  readonly record?: RecordTrace;
}

type Input = Record<string, unknown>;
const isRecord = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asItem = (v: unknown): Item | undefined => (isRecord(v) ? (v as Item) : undefined);

/** Whether lib-dynamodb's document client sent the command (its output is then native JS). */
function documentClient(context: HandlerExecutionContext): boolean {
  const sdk = (context as { __aws_sdk_context?: { features?: Record<string, unknown> } }).__aws_sdk_context;
  return sdk?.features?.DDB_MAPPER !== undefined;
}

interface TableShape {
  readonly keys: readonly string[];
  readonly indexes: readonly IndexSpec[];
}

/** Length of the union of intervals. */
function unionLength(intervals: readonly (readonly [number, number])[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** Modelled latency of calls run in waves: overlapping calls wait together, for the slowest. */
function waves(calls: readonly CallTrace[]): number {
  const sorted = [...calls].sort((a, b) => a.t0 - b.t0);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  let wave = 0;
  for (const c of sorted) {
    if (c.t0 >= end) {
      total += wave;
      wave = 0;
    }
    wave = Math.max(wave, latency(c.op));
    end = Math.max(end, c.t1);
  }
  return total + wave;
}

/**
 * Meters what AWS bills for the requests the SDK sends: a middleware on the real clients sees
 * every request and its response, reads the DynamoDB items a write touches before and after it
 * (uncounted, with its own client) to bill item sizes and index writes, and tallies the units into
 * the Usage of the scope the call was made in (submissions, hops, fan-out...). Invocations of the
 * functions are timed for a model of Lambda's billed duration.
 */
export class Meter {
  readonly #als = new AsyncLocalStorage<Scope>();
  readonly #raw: DynamoDBClient;
  readonly #tables = new Map<string, Promise<TableShape>>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #root = new Usage();
  /** Whether calls outside any scope are counted (into `unscoped`). */
  enabled = true;

  constructor(options: {
    readonly region: string;
    readonly endpoint: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  }) {
    this.#raw = new DynamoDBClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** Calls made outside any scope. */
  get unscoped(): Usage {
    return this.#root;
  }

  /** Adds the metering middleware to a client (SQS, DynamoDB, EventBridge, the Management API). */
  attach<I extends object, O extends MetadataBearer>(client: {
    readonly middlewareStack: MiddlewareStack<I, O>;
  }): void {
    client.middlewareStack.add(this.#middleware<I, O>(), { step: 'build', name: 'billingMeter' });
  }

  /** Runs `fn` with its calls billed to `usage`. */
  within<T>(usage: Usage, fn: () => T): T {
    return this.#als.run({ usage }, fn);
  }

  /**
   * Runs one invocation of a function of `memoryMb` in the current scope, and bills its request
   * and its modelled duration there.
   */
  async invoke<T>(fnName: string, memoryMb: number, fn: () => Promise<T>): Promise<T> {
    const scope = this.#als.getStore() ?? { usage: this.#root };
    const invocation: Invocation = { calls: [], records: [], work: [] };
    const t0 = performance.now();
    try {
      return await this.#als.run({ usage: scope.usage, invocation }, fn);
    } finally {
      const wall = performance.now() - t0;
      const billed = Math.ceil(this.#modelled(invocation, wall));
      const work = unionLength(invocation.work);
      const usage = scope.usage.fn(fnName);
      usage.invocations += 1;
      usage.billedMs.push(billed);
      usage.localMs.push(this.#local(invocation, wall));
      usage.wallMs.push(wall);
      usage.gbSeconds += ((billed - Math.min(billed, work)) / 1000) * (memoryMb / 1024);
      usage.workGbSeconds += (Math.min(billed, work) / 1000) * (memoryMb / 1024);
    }
  }

  /** One record of the current invocation (its calls form one chain). */
  async record<T>(fn: () => Promise<T>): Promise<T> {
    const scope = this.#als.getStore();
    if (scope?.invocation === undefined) return fn();
    const trace: RecordTrace = { calls: [], work: [], t0: performance.now(), t1: 0 };
    scope.invocation.records.push(trace);
    try {
      return await this.#als.run({ ...scope, record: trace }, fn);
    } finally {
      trace.t1 = performance.now();
    }
  }

  /** The stage's own work (e.g. ten seconds of computing), timed apart from the framework's. */
  async work<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const scope = this.#als.getStore();
      const interval: [number, number] = [t0, performance.now()];
      scope?.invocation?.work.push(interval);
      scope?.record?.work.push(interval);
    }
  }

  /**
   * Billed duration: the function's own time on this machine (its wall time less the time spent
   * waiting for calls or the stage's work), plus the modelled latency of the longest chain of
   * calls a record waits for, plus the calls after the records (the final flush).
   */
  #local(inv: Invocation, wall: number): number {
    const waited = unionLength([...inv.calls.map((c): [number, number] => [c.t0, c.t1]), ...inv.work]);
    return Math.max(0, wall - waited);
  }

  #modelled(inv: Invocation, wall: number): number {
    const local = this.#local(inv, wall);
    if (inv.records.length === 0) return local + waves(inv.calls) + unionLength(inv.work);
    let chain = 0;
    for (const r of inv.records) {
      const inWork = (c: CallTrace) => r.work.some(([a, b]) => c.t0 >= a && c.t1 <= b);
      const own = r.calls.filter((c) => !OFF_PATH.has(c.op) && !inWork(c));
      chain = Math.max(chain, own.reduce((sum, c) => sum + latency(c.op), 0) + unionLength(r.work));
    }
    const recordsEnd = Math.max(...inv.records.map((r) => r.t1));
    return local + chain + waves(inv.calls.filter((c) => c.t0 >= recordsEnd));
  }

  #middleware<I extends object, O extends MetadataBearer>(): BuildMiddleware<I, O> {
    return (next: BuildHandler<I, O>, context: HandlerExecutionContext) =>
      async (args: BuildHandlerArguments<I>) => {
        const scope = this.#als.getStore();
        if (scope === undefined && !this.enabled) return next(args);
        const usage = scope?.usage ?? this.#root;
        const service = (context.clientName ?? '?').replace(/Client$/, '');
        const action = (context.commandName ?? '?').replace(/Command$/, '');
        const input: Input = isRecord(args.input) ? args.input : {};
        const op = `${service === 'DynamoDB' ? 'DynamoDB' : service}.${action}`;
        const trace: CallTrace = { op, t0: performance.now(), t1: 0 };
        scope?.invocation?.calls.push(trace);
        scope?.record?.calls.push(trace);
        const opUsage = usage.op(op);
        opUsage.calls += 1;
        try {
          if (service === 'DynamoDB' && WRITES.has(action))
            return await this.#write(action, input, next, args, usage, op);
          const out = await next(args);
          this.#bill(service, action, input, out.output, documentClient(context), usage, op);
          return out;
        } finally {
          trace.t1 = performance.now();
        }
      };
  }

  #bill(
    service: string,
    action: string,
    input: Input,
    output: unknown,
    native: boolean,
    usage: Usage,
    op: string,
  ): void {
    const u = usage.op(op);
    const out: Input = isRecord(output) ? output : {};
    const raw = (v: unknown): Item | undefined => {
      const item = asItem(v);
      return item === undefined
        ? undefined
        : native
          ? (marshall(item, { removeUndefinedValues: true }) as Item)
          : item;
    };
    switch (service) {
      case 'SQS': {
        if (action === 'ReceiveMessage') {
          const messages = list(out.Messages);
          const bytes = messages.reduce<number>((sum, m) => sum + (isRecord(m) ? sqsMessageBytes(m) : 0), 0);
          if (messages.length === 0) {
            usage.idleReceives += 1;
            u.calls -= 1;
            usage.op('SQS.ReceiveMessage (empty)').calls += 1;
            return;
          }
          u.sqsRequests += chunks(bytes);
        } else if (action === 'SendMessageBatch' || action === 'SendMessage') {
          const entries = action === 'SendMessage' ? [input] : list(input.Entries);
          u.sqsRequests += chunks(
            entries.reduce<number>((sum, e) => sum + (isRecord(e) ? sqsMessageBytes(e) : 0), 0),
          );
        } else if (action === 'GetQueueUrl') {
          // Once per queue and container (a cold start), not per job: kept apart like idle receives.
          usage.coldStartRequests += 1;
          u.calls -= 1;
          usage.op('SQS.GetQueueUrl (cold start)').calls += 1;
        } else u.sqsRequests += 1;
        return;
      }
      case 'EventBridge': {
        if (action !== 'PutEvents') return;
        for (const entry of list(input.Entries)) {
          if (!isRecord(entry)) continue;
          const bytes = eventEntryBytes({
            Time: entry.Time instanceof Date ? entry.Time : undefined,
            Source: str(entry.Source),
            DetailType: str(entry.DetailType),
            Detail: str(entry.Detail),
            Resources: list(entry.Resources).filter((r): r is string => typeof r === 'string'),
          });
          u.events += chunks(bytes);
          if (entry.DetailType !== 'stage.progress') usage.archiveBytes += bytes;
        }
        return;
      }
      case 'ApiGatewayManagementApi': {
        if (action !== 'PostToConnection') return;
        const data = input.Data;
        const bytes =
          data instanceof Uint8Array
            ? data.byteLength
            : typeof data === 'string'
              ? Buffer.byteLength(data)
              : 0;
        u.wsMessages += chunks(bytes, 32 * 1024);
        return;
      }
      case 'DynamoDB': {
        const mode = (consistent: unknown): ReadMode => (consistent === true ? 'strong' : 'eventual');
        if (action === 'GetItem') u.rru += readUnits(itemSize(raw(out.Item)), mode(input.ConsistentRead));
        else if (action === 'Query' || action === 'Scan') {
          const items = list(out.Items).map(raw);
          let bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
          const scanned = typeof out.ScannedCount === 'number' ? out.ScannedCount : items.length;
          // Filtered or counted items were read too; estimate them at the returned items' mean size.
          if (scanned > items.length)
            bytes += (scanned - items.length) * (items.length > 0 ? bytes / items.length : 512);
          u.rru += readUnits(bytes, input.IndexName !== undefined ? 'eventual' : mode(input.ConsistentRead));
        } else if (action === 'BatchGetItem') {
          const requested = isRecord(input.RequestItems) ? input.RequestItems : {};
          const responses = isRecord(out.Responses) ? out.Responses : {};
          for (const [table, items] of Object.entries(responses)) {
            const spec = requested[table];
            const consistent = isRecord(spec) ? spec.ConsistentRead : undefined;
            for (const item of list(items)) u.rru += readUnits(itemSize(raw(item)), mode(consistent));
          }
        } else if (action === 'TransactGetItems') {
          for (const response of list(out.Responses)) {
            u.rru += readUnits(
              itemSize(isRecord(response) ? raw(response.Item) : undefined),
              'transactional',
            );
          }
        }
        return;
      }
      default:
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // DynamoDB writes: the items before and after, read with an uncounted client.
  // -------------------------------------------------------------------------------------------

  #shape(table: string): Promise<TableShape> {
    let shape = this.#tables.get(table);
    if (shape === undefined) {
      shape = this.#raw.send(new DescribeTableCommand({ TableName: table })).then((out) => ({
        keys: (out.Table?.KeySchema ?? []).map((k) => k.AttributeName ?? ''),
        indexes: (out.Table?.GlobalSecondaryIndexes ?? []).map((g): IndexSpec => {
          const hash = g.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
          const range = g.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
          const type = g.Projection?.ProjectionType ?? 'ALL';
          return {
            name: g.IndexName ?? '',
            hashKey: hash,
            ...(range === undefined ? {} : { rangeKey: range }),
            projection: type === 'KEYS_ONLY' || type === 'INCLUDE' ? type : 'ALL',
            include: g.Projection?.NonKeyAttributes ?? [],
          };
        }),
      }));
      this.#tables.set(table, shape);
    }
    return shape;
  }

  async #image(table: string, key: Item): Promise<Item | undefined> {
    const out = await this.#raw.send(
      new GetItemCommand({
        TableName: table,
        Key: key as Record<string, DynamoValue>,
        ConsistentRead: true,
      }),
    );
    return out.Item as Item | undefined;
  }

  /** The items a write touches: table, key, and whether it is part of a transaction. */
  async #targets(action: string, input: Input): Promise<{ table: string; key: Item; shape: TableShape }[]> {
    const targets: { table: string; key: Item; shape: TableShape }[] = [];
    const add = async (table: string | undefined, key: Item | undefined, item?: Item) => {
      if (table === undefined) return;
      const shape = await this.#shape(table);
      const source = key ?? item;
      if (source === undefined) return;
      const picked: Record<string, AttributeValue> = {};
      for (const name of shape.keys) {
        const v = source[name];
        if (v !== undefined) picked[name] = v;
      }
      targets.push({ table, key: picked, shape });
    };
    if (action === 'TransactWriteItems') {
      for (const t of list(input.TransactItems)) {
        if (!isRecord(t)) continue;
        for (const kind of ['Put', 'Update', 'Delete', 'ConditionCheck']) {
          const part = t[kind];
          if (isRecord(part)) await add(str(part.TableName), asItem(part.Key), asItem(part.Item));
        }
      }
    } else if (action === 'BatchWriteItem') {
      const requests = isRecord(input.RequestItems) ? input.RequestItems : {};
      for (const [table, entries] of Object.entries(requests)) {
        for (const e of list(entries)) {
          if (!isRecord(e)) continue;
          const put = isRecord(e.PutRequest) ? asItem(e.PutRequest.Item) : undefined;
          const del = isRecord(e.DeleteRequest) ? asItem(e.DeleteRequest.Key) : undefined;
          await add(table, del, put);
        }
      }
    } else await add(str(input.TableName), asItem(input.Key), asItem(input.Item));
    return targets;
  }

  async #write<I extends object, O extends MetadataBearer>(
    action: string,
    input: Input,
    next: BuildHandler<I, O>,
    args: BuildHandlerArguments<I>,
    usage: Usage,
    op: string,
  ): Promise<BuildHandlerOutput<O>> {
    const targets = await this.#targets(action, input);
    const ids = targets.map((t) => `${t.table}|${JSON.stringify(t.key)}`);
    // Writes to the same item are metered one at a time, so each sees its own before and after.
    const previous = ids.map((id) => this.#locks.get(id) ?? Promise.resolve());
    let unlock = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    for (const id of ids) this.#locks.set(id, held);
    await Promise.all(previous);
    const u = usage.op(op);
    const transactional = action === 'TransactWriteItems';
    try {
      const before = await Promise.all(targets.map((t) => this.#image(t.table, t.key)));
      let out: BuildHandlerOutput<O>;
      try {
        out = await next(args);
      } catch (error) {
        // A refused write (failed condition, cancelled transaction) bills the items as they are.
        for (const item of before) u.wru += writeUnits(item, undefined, transactional);
        throw error;
      }
      const after = await Promise.all(targets.map((t) => this.#image(t.table, t.key)));
      targets.forEach((t, i) => {
        const was = before[i];
        const is = after[i];
        u.wru += writeUnits(was, is, transactional);
        usage.largestItem = Math.max(usage.largestItem, itemSize(was), itemSize(is));
        for (const w of indexWrites(t.shape.indexes, t.shape.keys, was, is)) {
          u.gsiWru += w.units;
          const key = `${w.index} ${w.kind}`;
          usage.indexWrites.set(key, (usage.indexWrites.get(key) ?? 0) + 1);
        }
      });
      return out;
    } finally {
      unlock();
      for (const id of ids) if (this.#locks.get(id) === held) this.#locks.delete(id);
    }
  }
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
