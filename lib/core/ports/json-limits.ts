import { ValidationError } from './errors.js';
import { printable } from './printable.js';

/**
 * Limits on JSON that comes from outside (request bodies, WebSocket messages, job params). Nesting
 * is what makes JSON expensive out of proportion to its size: a recursive walk over a value nested
 * a few thousand deep overflows the stack (JSON.stringify, a canonical digest, a schema), so depth
 * is checked before anything walks it — on the text by a scanner, on a value by an explicit stack,
 * neither of which recurses.
 */
export const JSON_LIMITS = {
  /** Most nested objects and arrays in a request body or a WebSocket message. */
  maxDepth: 32,
  /** Most bytes of a JSON request body (the transport's own limit is larger: 10 MB). */
  maxBodyBytes: 1024 * 1024,
} as const;

/** Bytes as a person reads them: `1 MiB`, `128 KiB`, `300 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * The deepest nesting of objects and arrays in a JSON text, scanning its characters once (strings
 * are skipped, escapes honoured). Stops as soon as `stopAbove` is passed. Does not check that the
 * text is valid JSON: JSON.parse does that after.
 */
export function jsonTextDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return deepest;
}

/**
 * The deepest nesting of objects and arrays in a value, walked with an explicit stack (so a value
 * nested deeper than the call stack allows is measured, not a crash). Stops once `stopAbove` is
 * passed; shared references are walked once per path, as JSON would write them.
 */
export function jsonValueDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [current, depth] = top;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > stopAbove) return deepest;
    }
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/**
 * Parses a JSON text from outside after checking its size and nesting; every refusal is a
 * ValidationError (400) whose message names the limit. `what` names the text ("The request body").
 */
export function parseLimitedJson(
  text: string,
  what: string,
  limits: { readonly maxBytes?: number; readonly maxDepth?: number } = {},
): unknown {
  const maxBytes = limits.maxBytes ?? JSON_LIMITS.maxBodyBytes;
  const maxDepth = limits.maxDepth ?? JSON_LIMITS.maxDepth;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new ValidationError(
      `${what} is ${bytes} bytes; the limit for JSON is ${formatBytes(maxBytes)} (${maxBytes} bytes). Put large values in storage and send their keys.`,
      { code: 'JSON_TOO_LARGE', context: { bytes, limit: maxBytes } },
    );
  }
  const depth = jsonTextDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new ValidationError(
      `${what} nests objects and arrays more than ${maxDepth} deep (the limit is ${maxDepth} levels); flatten it.`,
      { code: 'JSON_TOO_DEEP', context: { limit: maxDepth } },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      `${what} is not valid JSON (${error instanceof Error ? printable(error.message, 120) : 'parse error'}).`,
      { code: 'BAD_REQUEST' },
    );
  }
}
