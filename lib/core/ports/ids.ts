import { randomBytes } from 'node:crypto';

/**
 * Unique ids for events and records: a random per-process prefix and a counter. As unique as a
 * UUID for our purposes (the prefix has 64 random bits) and far cheaper on the hot path.
 */
const prefix = randomBytes(8).toString('hex');
let counter = 0;

export function nextId(): string {
  counter += 1;
  return `${prefix}-${counter.toString(36)}`;
}
