import { describe, expect, it } from 'vitest';
import { LocalUrlSigner } from '../../../../lib/adapters/memory/local-url-signer.js';
import { ManualClock } from '../../../../lib/core/ports/index.js';

describe('LocalUrlSigner', () => {
  const clock = new ManualClock(1_000_000);
  const signer = new LocalUrlSigner('http://127.0.0.1:9999/', { clock });

  it('verifies its own URL for the signed method and key', () => {
    const url = signer.sign('uploads/a b.csv', 'PUT', 60);
    const path = url.replace('http://127.0.0.1:9999', '');
    expect(signer.verify(path, 'PUT')).toEqual({ key: 'uploads/a b.csv', method: 'PUT' });
  });

  it('rejects another method, a changed key, a forged signature and an expired URL', () => {
    const path = signer.sign('k.csv', 'GET', 60).replace('http://127.0.0.1:9999', '');
    expect(() => signer.verify(path, 'PUT')).toThrow(/signed for GET, not PUT/);
    expect(() => signer.verify(path.replace('k.csv', 'other.csv'), 'GET')).toThrow(
      /signature does not match/,
    );
    expect(() => signer.verify(path.replace(/X-Signature=\w+/, 'X-Signature=00'), 'GET')).toThrow(
      /does not match/,
    );
    clock.advance(61_000);
    expect(() => signer.verify(path, 'GET')).toThrow(/has expired/);
  });
});
