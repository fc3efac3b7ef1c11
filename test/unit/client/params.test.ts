import { describe, expect, it } from 'vitest';
import { checkParams, expects, paramSpecs } from '../../../lib/client/params.js';
import { closest } from '../../../lib/client/suggest.js';

// The inputs of the example pipeline's stages, as GET /pipelines describes them.
const ingest = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 16000 },
    document_id: { type: 'string', minLength: 1, maxLength: 64 },
  },
  required: ['text', 'document_id'],
};
const report = {
  type: 'object',
  properties: {
    counts_key: { type: 'string', minLength: 1 },
    top: { default: 5, type: 'integer', minimum: 1, maximum: 50 },
    document_key: { 'x-stagecoach-check': 'function' },
  },
  required: ['counts_key'],
};

describe('checkParams', () => {
  it('names every missing and invalid param at once', () => {
    expect(checkParams(ingest, { text: 3 })).toEqual({
      missing: ['document_id'],
      invalid: ['text: expected text (1–16000 chars), got 3'],
      unknown: [],
    });
  });

  it('leaves optional params to their defaults and look-ups to the stage', () => {
    expect(checkParams(report, { counts_key: 'k' })).toEqual({ missing: [], invalid: [], unknown: [] });
    expect(checkParams(report, { counts_key: 'k', top: 0, document_key: 42 }).invalid).toEqual([
      'top: expected an integer 1–50, got 0',
    ]);
  });

  it('refuses unknown keys only where the schema does (additionalProperties: false)', () => {
    const strict = { ...report, additionalProperties: false };
    expect(checkParams(report, { counts_key: 'k', tpo: 3 }).unknown).toEqual([]);
    expect(checkParams(strict, { counts_key: 'k', tpo: 3 }).unknown).toEqual(['tpo']);
  });
});

describe('paramSpecs and expects', () => {
  it('describes each param in words, for a form or a usage message', () => {
    expect(paramSpecs(report).map((s) => [s.name, s.required, s.checkedByStage, s.expects])).toEqual([
      ['counts_key', true, false, 'text (not empty)'],
      ['top', false, false, 'an integer 1–50 (default 5)'],
      ['document_key', false, true, 'checked by the stage'],
    ]);
    expect(
      expects({
        anyOf: [
          { type: 'string', const: 'auto' },
          { type: 'integer', minimum: 1, maximum: 1000 },
        ],
      }),
    ).toBe('"auto" or an integer 1–1000');
    expect(expects({ type: 'number', exclusiveMinimum: 0, maximum: 10 })).toBe('a number > 0, ≤ 10');
    expect(expects({ type: 'string', enum: ['linear', 'mean'] })).toBe('one of linear, mean');
  });
});

describe('closest', () => {
  it('suggests a near name, and nothing for a far one', () => {
    expect(closest('fmx', ['fs', 'fmax', 'fmin'])).toBe('fmax');
    expect(closest('DONEE', ['QUEUED', 'DONE'])).toBe('DONE');
    expect(closest('zzz', ['text'])).toBeUndefined();
  });
});
