import { describe, expect, it } from 'vitest';
import { unreachable } from '../../../lib/client/http.js';

/** What undici and `ws` throw: a wrapper whose cause carries the network code. */
const failed = (code: string, message: string): Error =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });

describe('unreachable', () => {
  it('explains TLS spoken to a plain HTTP port in one line, without OpenSSL’s text', () => {
    const error = unreachable(
      'https://127.0.0.1:8787',
      failed(
        'ERR_SSL_WRONG_VERSION_NUMBER',
        '80BC21A1837F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
      ),
    );
    expect(error).toMatchObject({
      code: 'TLS_MISMATCH',
      message: '127.0.0.1:8787 answered in plain HTTP, not TLS: use http://127.0.0.1:8787',
    });
  });

  it('says nothing listens, or the name does not resolve, or what the network said', () => {
    expect(unreachable('http://127.0.0.1:1', failed('ECONNREFUSED', 'connect ECONNREFUSED')).message).toBe(
      'nothing is listening at 127.0.0.1:1 (connection refused)',
    );
    expect(unreachable('http://nope.invalid', failed('ENOTFOUND', 'getaddrinfo ENOTFOUND')).message).toBe(
      'cannot resolve the host of http://nope.invalid',
    );
    expect(
      unreachable('http://h:1', new TypeError('fetch failed', { cause: new Error('bad port') })).message,
    ).toBe('cannot reach http://h:1 (bad port)');
  });
});
