/**
 * What AWS bills for one request, as pure functions of what the request carried and what it
 * changed. The rules are the services' published metering rules (us-east-1, on-demand):
 *
 * - DynamoDB item size: attribute names and values in UTF-8; a number is 1 byte per two
 *   significant digits + 1; a boolean or null 1 byte; a list or map 3 bytes + 1 byte per element
 *   + its elements (a map's element names included).
 * - DynamoDB writes: 1 WRU per KiB (rounded up) of the larger of the item before and after the
 *   write; a delete, or a write whose condition failed, bills the item as it is (at least 1 WRU);
 *   a transactional write bills 2 per KiB.
 * - Global secondary indexes: an index write is a write of the item's projection into the index,
 *   1 WRU per KiB of the projection. A write that adds the index keys to an item puts an entry; one
 *   that removes them deletes it; one that changes them deletes the old entry and puts the new one
 *   (2 writes); one that only changes projected attributes updates the entry (1 write); anything
 *   else costs the index nothing.
 * - DynamoDB reads: 1 RRU per 4 KiB (rounded up) read strongly consistently, half eventually
 *   consistently (index queries always), 2 transactionally; a query rounds the total it read.
 * - SQS: one request per 64 KiB chunk of a request's payload (bodies and attributes).
 * - EventBridge: one event per 64 KiB chunk of an entry (time, source, detail type, detail, resources).
 * - API Gateway WebSocket: one message per 32 KiB chunk.
 */

export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: Uint8Array | string }
  | { readonly BOOL: boolean }
  | { readonly NULL: boolean }
  | { readonly L: readonly AttributeValue[] }
  | { readonly M: Readonly<Record<string, AttributeValue>> }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly (Uint8Array | string)[] };

export type Item = Readonly<Record<string, AttributeValue>>;

export const KiB = 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

const binaryBytes = (value: Uint8Array | string): number =>
  typeof value === 'string' ? Buffer.from(value, 'base64').length : value.byteLength;

/** Bytes of a number: 1 per two significant digits (leading and trailing zeros trimmed), + 1. */
export function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, significant.length) / 2) + 1;
}

/** Bytes of one value (without its attribute name). */
export function valueSize(value: AttributeValue): number {
  if ('S' in value) return utf8(value.S);
  if ('N' in value) return numberSize(value.N);
  if ('B' in value) return binaryBytes(value.B);
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('L' in value) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if ('M' in value) {
    return (
      3 +
      Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueSize(element), 0)
    );
  }
  if ('SS' in value) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if ('NS' in value) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  return value.BS.reduce((sum, b) => sum + binaryBytes(b), 0);
}

/** Bytes of an item: every attribute's name and value. */
export function itemSize(item: Item | undefined): number {
  if (item === undefined) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

/** WRU of a write that turned `before` into `after` (undefined: no item). */
export function writeUnits(before: Item | undefined, after: Item | undefined, transactional = false): number {
  const bytes = Math.max(itemSize(before), itemSize(after));
  return Math.max(1, Math.ceil(bytes / KiB)) * (transactional ? 2 : 1);
}

export type ReadMode = 'eventual' | 'strong' | 'transactional';

/** RRU of reading `bytes` in one request (one item, or one query page). */
export function readUnits(bytes: number, mode: ReadMode): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KiB)));
  return mode === 'eventual' ? units / 2 : mode === 'strong' ? units : 2 * units;
}

/** A global secondary index as DescribeTable reports it. */
export interface IndexSpec {
  readonly name: string;
  readonly hashKey: string;
  readonly rangeKey?: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly include?: readonly string[];
}

export type IndexWriteKind = 'put' | 'delete' | 'update';

export interface IndexWrite {
  readonly index: string;
  readonly kind: IndexWriteKind;
  readonly units: number;
}

/** JSON with sorted keys, so two reads of one item compare equal whatever order their maps came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

const inIndex = (index: IndexSpec, item: Item | undefined): item is Item =>
  item !== undefined &&
  item[index.hashKey] !== undefined &&
  (index.rangeKey === undefined || item[index.rangeKey] !== undefined);

/** The attributes an index entry of `item` holds: the table's keys, the index's keys, the projection. */
export function projection(index: IndexSpec, tableKeys: readonly string[], item: Item): Item {
  const names =
    index.projection === 'ALL'
      ? Object.keys(item)
      : [
          ...tableKeys,
          index.hashKey,
          ...(index.rangeKey === undefined ? [] : [index.rangeKey]),
          ...(index.projection === 'INCLUDE' ? (index.include ?? []) : []),
        ];
  const entry: Record<string, AttributeValue> = {};
  for (const name of names) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}

/** The index writes a table write performs, from the item before and after it. */
export function indexWrites(
  indexes: readonly IndexSpec[],
  tableKeys: readonly string[],
  before: Item | undefined,
  after: Item | undefined,
): IndexWrite[] {
  const writes: IndexWrite[] = [];
  const units = (item: Item, index: IndexSpec): number =>
    Math.max(1, Math.ceil(itemSize(projection(index, tableKeys, item)) / KiB));
  for (const index of indexes) {
    const was = inIndex(index, before) ? before : undefined;
    const is = inIndex(index, after) ? after : undefined;
    if (was === undefined && is === undefined) continue;
    if (was === undefined && is !== undefined) {
      writes.push({ index: index.name, kind: 'put', units: units(is, index) });
    } else if (was !== undefined && is === undefined) {
      writes.push({ index: index.name, kind: 'delete', units: units(was, index) });
    } else if (was !== undefined && is !== undefined) {
      const keys = [index.hashKey, ...(index.rangeKey === undefined ? [] : [index.rangeKey])];
      if (keys.some((k) => !sameValue(was[k], is[k]))) {
        writes.push({ index: index.name, kind: 'delete', units: units(was, index) });
        writes.push({ index: index.name, kind: 'put', units: units(is, index) });
      } else if (!sameValue(projection(index, tableKeys, was), projection(index, tableKeys, is))) {
        writes.push({ index: index.name, kind: 'update', units: units(is, index) });
      }
    }
  }
  return writes;
}

/** 64 KiB chunks of a payload (SQS requests, EventBridge events); at least one. */
export const chunks = (bytes: number, size = 64 * KiB): number => Math.max(1, Math.ceil(bytes / size));

/** The payload SQS bills a message for: its body and its attributes' names, types and values. */
export function sqsMessageBytes(message: {
  readonly MessageBody?: string | undefined;
  readonly Body?: string | undefined;
  readonly MessageAttributes?: Readonly<
    Record<string, { readonly DataType?: string | undefined; readonly StringValue?: string | undefined }>
  >;
}): number {
  let bytes = utf8(message.MessageBody ?? message.Body ?? '');
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += utf8(name) + utf8(value.DataType ?? '') + utf8(value.StringValue ?? '');
  }
  return bytes;
}

/** The size of a PutEvents entry as EventBridge meters it. */
export function eventEntryBytes(entry: {
  readonly Time?: Date | undefined;
  readonly Source?: string | undefined;
  readonly DetailType?: string | undefined;
  readonly Detail?: string | undefined;
  readonly Resources?: readonly string[] | undefined;
}): number {
  return (
    (entry.Time === undefined ? 0 : 14) +
    utf8(entry.Source ?? '') +
    utf8(entry.DetailType ?? '') +
    utf8(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, r) => sum + utf8(r), 0)
  );
}
