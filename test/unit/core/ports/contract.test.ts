import { describe, expect, it } from 'vitest';
import {
  ContractError,
  DEFAULT_CONTRACT_LIMIT_BYTES,
  JobEnvelopeSchema,
  parseEnvelope,
  peekHop,
  peekJobId,
  safeParseEnvelope,
  serializeEnvelope,
} from '../../../../lib/core/ports/index.js';
import { envelope } from '../../../support/factories.js';

describe('job contract', () => {
  it('round-trips an envelope through serialize and parse', () => {
    const env = envelope({ params: { image_id: 'img_123', nested: { a: [1, 2] } }, tags: { provider: 'x' } });
    expect(parseEnvelope(serializeEnvelope(env))).toEqual(env);
  });

  it('fills defaults for priority and tags', () => {
    const { priority: _p, tags: _t, ...bare } = envelope();
    const parsed = JobEnvelopeSchema.parse(bare);
    expect(parsed.priority).toBe(0);
    expect(parsed.tags).toEqual({});
  });

  it('names every malformed field', () => {
    const result = safeParseEnvelope(
      JSON.stringify({ ...envelope(), hop: -1, stage: 'Bad Stage', params: 'x' }),
    );
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error).toBeInstanceOf(ContractError);
    expect(result.error.retryable).toBe(false);
    expect(result.error.code).toBe('CONTRACT_MALFORMED');
    expect(result.error.message).toMatch(/stage: use 1-24 lower-case letters/);
    expect(result.error.message).toMatch(/hop: Too small/);
    expect(result.error.message).toMatch(/params: /);
  });

  it('says when the body is not JSON', () => {
    expect(() => parseEnvelope('{oops')).toThrow(/not valid JSON/);
  });

  it('rejects a contract over the size limit with a non-retryable error naming the limit', () => {
    const env = envelope({ params: { blob: 'x'.repeat(DEFAULT_CONTRACT_LIMIT_BYTES) } });
    let caught: unknown;
    try {
      serializeEnvelope(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ContractError);
    const error = caught as ContractError;
    expect(error.code).toBe('CONTRACT_TOO_LARGE');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/over the 32768-byte \(32 KiB\) limit/);
    expect(error.message).toMatch(/pass their keys/);
  });

  it('honours a custom limit when parsing', () => {
    const body = serializeEnvelope(envelope({ params: { blob: 'x'.repeat(2_000) } }));
    expect(safeParseEnvelope(body, 1_024).success).toBe(false);
    expect(safeParseEnvelope(body, 4_096).success).toBe(true);
  });

  it('peeks at job id and hop of a malformed body to attribute a dead letter', () => {
    expect(peekJobId('{"job_id":"j-1","hop":3,"stage":"???"}')).toBe('j-1');
    expect(peekHop('{"job_id":"j-1","hop":3}')).toBe(3);
    expect(peekJobId('nope')).toBeUndefined();
    expect(peekJobId('{"job_id":"has spaces"}')).toBeUndefined();
  });
});
