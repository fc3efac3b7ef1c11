import { describe, expect, it } from 'vitest';
import {
  JSON_LIMITS,
  jsonTextDepth,
  jsonValueDepth,
  ParamsSchema,
  parseLimitedJson,
  printable,
  ValidationError,
} from '../../../../lib/core/ports/index.js';

const nestedText = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
function nestedValue(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: [value] }.a;
  return value;
}

describe('JSON depth, measured without recursion', () => {
  it('counts objects and arrays, not brackets inside strings or escapes', () => {
    expect(jsonTextDepth('1')).toBe(0);
    expect(jsonTextDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonTextDepth('{"a":"[[[[{{{{","b":"\\"[[["}')).toBe(1);
    expect(jsonTextDepth('["\\\\",[["x"]]]')).toBe(3);
  });

  it('measures a text and a value a million levels deep without overflowing the stack', () => {
    expect(jsonTextDepth(nestedText(1_000_000))).toBe(1_000_000);
    expect(jsonTextDepth(nestedText(1_000_000), 32)).toBe(33);
    expect(jsonValueDepth(nestedValue(200_000))).toBe(200_000);
    expect(jsonValueDepth(nestedValue(200_000), 32)).toBe(33);
  });
});

describe('parseLimitedJson', () => {
  it('parses JSON within the limits', () => {
    expect(parseLimitedJson(nestedText(JSON_LIMITS.maxDepth), 'The body')).toEqual(
      JSON.parse(nestedText(JSON_LIMITS.maxDepth)),
    );
  });

  it('refuses deeper, larger or malformed JSON with a 400 that names the limit', () => {
    const deep = () => parseLimitedJson(nestedText(JSON_LIMITS.maxDepth + 1), 'The body');
    const large = () => parseLimitedJson(`"${'x'.repeat(JSON_LIMITS.maxBodyBytes)}"`, 'The body');
    const bad = () => parseLimitedJson('{"a":\u0000\u001b[31m}', 'The body');
    expect(deep).toThrow(ValidationError);
    expect(deep).toThrow(
      'The body nests objects and arrays more than 32 deep (the limit is 32 levels); flatten it.',
    );
    expect(large).toThrow(/The body is 1048578 bytes; the limit for JSON is 1 MiB \(1048576 bytes\)/);
    expect(bad).toThrow(/^The body is not valid JSON/);
    // The parser's message quotes the input: its control characters are written as escapes.
    const message = (() => {
      try {
        bad();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect([...message].filter((ch) => ch.charCodeAt(0) < 0x20)).toEqual([]);
  });
});

describe('params nesting', () => {
  it('accepts params 32 levels deep and refuses deeper ones by name', () => {
    expect(ParamsSchema.safeParse({ a: nestedValue(31) }).success).toBe(true);
    const deep = ParamsSchema.safeParse({ a: nestedValue(100_000) });
    expect(deep.success).toBe(false);
    expect(deep.error?.issues[0]?.message).toBe(
      'params nest objects and arrays more than 32 deep (the limit is 32 levels); flatten them',
    );
  });
});

describe('printable', () => {
  it('writes control characters, replacement characters and lone surrogates as escapes, and truncates', () => {
    expect(printable('a\u0000b\u001b[2J\u007f\u0085')).toBe('a\\x00b\\x1b[2J\\x7f\\x85');
    expect(printable('\ufffd\ud800ok')).toBe('\\u{fffd}\\u{d800}ok');
    expect(printable('é✓ 漢字')).toBe('é✓ 漢字');
    expect(printable('x'.repeat(100), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
