import type { OmaResult } from './types.js';

/** The JSON form of engine results: typed arrays become number arrays, non-finite numbers null. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Result sections whose keys are snake_case in JSON, with everything inside them (a mode's
 * `order_spread` and `uncertainty`, a multi-setup result's `multi_setup` and per-mode `setups`).
 * The older keys (`macMatrix`, `singularValues`, …) keep their names for their readers.
 */
const SNAKE_CASE_SECTIONS: ReadonlySet<string> = new Set([
  'orderSpread',
  'uncertainty',
  'multiSetup',
  'setups',
]);

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** JSON-safe copy of any engine value: typed arrays become arrays, non-finite numbers null. */
export function toJsonValue(value: unknown, snake = false): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (
    value instanceof Float64Array ||
    value instanceof Float32Array ||
    value instanceof Int32Array ||
    value instanceof Uint32Array
  ) {
    return Array.from(value, (v) => (Number.isFinite(v) ? v : null));
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, snake));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const section = snake || SNAKE_CASE_SECTIONS.has(k);
      out[section ? snakeCase(k) : k] = toJsonValue(v, section);
    }
    return out;
  }
  return null;
}

/** The result as a plain JSON object (for storage and the API). */
export function resultToJson(result: OmaResult): { [key: string]: Json } {
  const json = toJsonValue(result);
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? json : {};
}
