import { API_LIMITS } from '../../lib/core/api/index.js';
import { encodeFrame, type RawFrame } from '../support/raw-ws.js';
import type { Prng } from './prng.js';

/**
 * Generated hostile requests and frames for the dev runtime: each case is built from a valid
 * request of the API (or a valid message of the live API) by one to three mutations drawn from a
 * seeded generator — bad JSON, wrong types, deep nesting, huge bodies, bad encodings, unknown
 * fields, wrong methods and auth, hostile ids, references and cursors.
 */

/** What the cases aim at: tokens and ids that exist when the run starts. */
export interface FuzzTargets {
  readonly tokenA: string;
  readonly tokenB: string;
  /** Jobs of tenant A: one DONE, one FAILED (replayable). */
  readonly doneA: string;
  readonly failedA: string;
  /** A job of tenant B. */
  readonly jobB: string;
  /** An analysis of tenant A on structure `structure`. */
  readonly structure: string;
  readonly analysisA: string;
}

export interface HttpCase {
  readonly kind: 'http';
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly chunked?: boolean;
}

export interface RawCase {
  readonly kind: 'raw';
  readonly label: string;
  readonly bytes: Buffer;
}

export interface WsCase {
  readonly kind: 'ws';
  readonly label: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly frame?: Buffer;
  /** The close codes a malformed frame may get; undefined for a well-formed frame (a reply is due). */
  readonly closeCodes?: readonly number[];
}

export type FuzzCase = HttpCase | RawCase | WsCase;

// ---------------------------------------------------------------------------------------------
// Vocabularies.
// ---------------------------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  '',
  ' ',
  '.',
  '..',
  '../..',
  '/etc/passwd',
  'a/b',
  '%2e%2e',
  '%ZZ',
  '\u0000',
  '\u001b[2J',
  '\ud800',
  '\u202eevil',
  '😀',
  'x'.repeat(200),
  'tenants/tenant-b/documents/secret.txt',
  'documents/../../tenant-b/x',
  '__proto__',
  'constructor',
  'counts',
  'invoice-1001',
];
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  2 ** 53 + 1,
  [],
  {},
  [1, 2, 3],
  { $ne: null },
  'NaN',
  'true',
];
const HOSTILE_IDS = [...HOSTILE_STRINGS.filter((s) => s !== ''), 'x'.repeat(5_000), 'a%00b', 'A'.repeat(129)];
const BAD_JSON = [
  '{',
  '{"pipeline":',
  "{'pipeline':'wordcount'}",
  '{"pipeline":"wordcount",}',
  '[]',
  'null',
  '"wordcount"',
  '123',
  '1e99999',
  'NaN',
  '{"a":1}{"b":2}',
  '\ufeff{"pipeline":"wordcount"}',
  '{"pipeline":"wordcount\u0000"}',
  '{"__proto__":{"polluted":true}}',
  '{"params":{"constructor":{"prototype":{"x":1}}}}',
];
const REFERENCES = [
  '../tenant-b/documents/x.txt',
  '/tenants/tenant-b/documents/x.txt',
  'tenants/tenant-b/documents/x.txt',
  'documents/%2e%2e/%2e%2e/tenant-b/x',
  'documents/..%2f..%2fx',
  'documents\\..\\x',
  'oma/tenant-b/s/runs/r/result.json',
  'documents/x.txt\u0000',
];
const CURSORS = [
  '%%%',
  'x'.repeat(3_000),
  '-1',
  Buffer.from('{"o":0,"w":"tenant-b"}').toString('base64url'),
  Buffer.from('{"o":-5,"w":"tenant-a"}').toString('base64url'),
  Buffer.from(`{"pk":"tenant-b#J#x","sk":"J","tenant_id":"tenant-b"}`).toString('base64url'),
  Buffer.from(`${'['.repeat(5_000)}${']'.repeat(5_000)}`).toString('base64url'),
  '\u0000',
  '99999999999999999999',
];

/** Percent-encodes; a lone surrogate becomes its (invalid) UTF-8 bytes, itself a hostile escape. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

const nest = (depth: number, leaf: unknown = 1): string =>
  `${'['.repeat(depth)}${JSON.stringify(leaf)}${']'.repeat(depth)}`;

// ---------------------------------------------------------------------------------------------
// Valid requests the mutations start from.
// ---------------------------------------------------------------------------------------------

interface Base {
  readonly method: string;
  readonly path: string;
  readonly body?: Record<string, unknown>;
  readonly query?: Record<string, string>;
}

function bases(t: FuzzTargets): readonly Base[] {
  const analyses = `/structures/${t.structure}/analyses`;
  return [
    {
      method: 'POST',
      path: '/jobs',
      body: { pipeline: 'wordcount', params: { document_id: 'f1', text: 'a b' } },
    },
    {
      method: 'POST',
      path: '/jobs',
      body: { pipeline: 'wordcount', entry_stage: 'count', params: { document_key: 'documents/f1.txt' } },
    },
    {
      method: 'POST',
      path: '/jobs',
      body: {
        pipeline: 'oma',
        entry_stage: 'publish',
        params: {
          structure_id: 's1',
          analysis_id: 'a1',
          type: 'FDD',
          result_key: 'oma/tenant-a/s1/runs/r/result.json',
        },
      },
    },
    {
      method: 'POST',
      path: `/jobs/${t.failedA}/replay`,
      body: { from_stage: 'count', params: { document_key: 'documents/f1.txt' } },
    },
    { method: 'POST', path: `/jobs/${t.doneA}/abort`, body: { reason: 'fuzz' } },
    { method: 'POST', path: `/jobs/${t.doneA}/pause` },
    { method: 'POST', path: `/jobs/${t.doneA}/resume` },
    { method: 'POST', path: '/holds', body: { selector: { fuzz: 'never' }, ttl_s: 86_400, reason: 'fuzz' } },
    { method: 'DELETE', path: '/holds/no-such-hold' },
    { method: 'POST', path: analyses, body: { type: 'FDD', parameters: { fmax: 20 } } },
    { method: 'POST', path: `${analyses}/${t.analysisA}/upload-url` },
    { method: 'POST', path: `${analyses}/${t.analysisA}/abort`, body: { reason: 'x' } },
    { method: 'POST', path: '/dead-letters/no-such-letter/redrive' },
    { method: 'GET', path: '/jobs', query: { status: 'DONE', limit: '10' } },
    { method: 'GET', path: '/jobs/counts', query: { pipeline: 'wordcount' } },
    { method: 'GET', path: `/jobs/${t.doneA}` },
    { method: 'GET', path: `/jobs/${t.doneA}/events`, query: { limit: '5' } },
    { method: 'GET', path: `/jobs/${t.doneA}/attempts` },
    { method: 'GET', path: '/pipelines' },
    { method: 'GET', path: '/holds' },
    { method: 'GET', path: '/queues', query: { window_minutes: '5' } },
    { method: 'GET', path: '/dead-letters', query: { limit: '5' } },
    { method: 'GET', path: `/structures/${t.structure}` },
    { method: 'GET', path: analyses, query: { limit: '5' } },
    { method: 'GET', path: `${analyses}/${t.analysisA}/results` },
  ];
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

interface Draft {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The JSON value, until a mutation replaces the body by raw bytes. */
  json: unknown;
  raw?: Buffer;
  chunked?: boolean;
  notes: string[];
}

/** A path to a random spot of a JSON value's objects (a list of keys), to change what is there. */
function spot(rng: Prng, value: unknown): string[] {
  const path: string[] = [];
  let at = value;
  while (typeof at === 'object' && at !== null && !Array.isArray(at) && rng.chance(0.7)) {
    const keys = Object.keys(at);
    if (keys.length === 0) break;
    const key = rng.pick(keys);
    path.push(key);
    at = (at as Record<string, unknown>)[key];
  }
  return path;
}

function setAt(value: unknown, path: readonly string[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head = '', ...rest] = path;
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
  (object as Record<string, unknown>)[head] = setAt((object as Record<string, unknown>)[head], rest, leaf);
  return object;
}

type Mutation = (rng: Prng, d: Draft, t: FuzzTargets) => void;

const MUTATIONS: readonly (readonly [number, Mutation])[] = [
  [
    6,
    (rng, d) => {
      d.raw = Buffer.from(rng.pick(BAD_JSON));
      d.notes.push('bad JSON');
    },
  ],
  [
    8,
    (rng, d) => {
      const where = spot(rng, d.json);
      d.json = setAt(d.json, where, rng.chance(0.5) ? rng.pick(HOSTILE_VALUES) : rng.pick(HOSTILE_STRINGS));
      d.notes.push(`wrong type at ${where.join('.') || '(body)'}`);
    },
  ],
  [
    6,
    (rng, d) => {
      const depth = rng.pick([33, 34, 100, 4_500, 6_000, 50_000]);
      const where = [...spot(rng, d.json), 'deep'];
      d.raw = Buffer.from(
        JSON.stringify(setAt(d.json, where, 0)).replace('"deep":0', `"deep":${nest(depth)}`),
      );
      d.notes.push(`nested ${depth} deep`);
    },
  ],
  [
    5,
    (rng, d) => {
      const where = [
        ...spot(rng, d.json),
        rng.pick(['unknown', '__proto__', 'constructor', 'prototype', 'x'.repeat(300)]),
      ];
      d.json = setAt(d.json, where, rng.pick(HOSTILE_VALUES));
      d.notes.push('unknown field');
    },
  ],
  [
    5,
    (rng, d) => {
      const key = rng.pick(['document_key', 'counts_key', 'csv_key', 'dataset_key', 'result_key']);
      d.json = setAt(d.json, ['params', key], rng.pick(REFERENCES));
      d.notes.push(`hostile reference in ${key}`);
    },
  ],
  [
    5,
    (rng, d) => {
      const segments = d.path.split('/');
      const i = rng.int(1, Math.max(1, segments.length - 1));
      segments[i] = rng.chance(0.5)
        ? encode(rng.pick(HOSTILE_IDS))
        : rng.pick(['%ZZ', '%', '%E0%A4%A', '%C3%28', '%00', '..', '%2e%2e']);
      d.path = segments.join('/');
      d.notes.push('hostile path segment');
    },
  ],
  [
    5,
    (rng, d) => {
      const key = rng.pick(['cursor', 'limit', 'status', 'since', 'tag', 'q', 'window_minutes', 'pipeline']);
      d.query[key] =
        key === 'cursor' ? rng.pick(CURSORS) : rng.pick([...HOSTILE_STRINGS, '-1', '0', '1e9', '1.5', 'abc']);
      d.notes.push(`hostile query ${key}`);
    },
  ],
  [
    5,
    (rng, d) => {
      d.method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND']);
      d.notes.push(`method ${d.method}`);
    },
  ],
  [
    6,
    (rng, d, t) => {
      const auth = rng.pick([
        undefined,
        'Bearer',
        'Bearer ',
        'Bearer wrong-token',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${t.tokenA} extra`,
        `Bearer ${'x'.repeat(10_000)}`,
        `Bearer ${t.tokenB}`,
        `bearer ${t.tokenA}`,
      ]);
      if (auth === undefined) delete d.headers.authorization;
      else d.headers.authorization = auth;
      d.notes.push(`auth ${auth === undefined ? 'none' : auth.slice(0, 20)}`);
    },
  ],
  [
    4,
    (rng, d) => {
      const text = Buffer.from(JSON.stringify(d.json));
      const choice = rng.int(0, 3);
      if (choice === 0) {
        d.raw = Buffer.concat([
          text.subarray(0, Math.max(1, text.length - 3)),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        ]);
      } else if (choice === 1) {
        d.raw = Buffer.from(JSON.stringify(d.json), 'utf16le');
      } else if (choice === 2) {
        d.headers['content-type'] = rng.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
        ]);
      } else d.headers['content-encoding'] = 'gzip';
      d.notes.push('bad encoding');
    },
  ],
  [
    3,
    (rng, d) => {
      const where = spot(rng, d.json);
      d.json = setAt(d.json, where, 'x'.repeat(rng.pick([100_000, 1_100_000])));
      d.notes.push('large string');
    },
  ],
  [
    3,
    (rng, d) => {
      const key = rng.pick([
        '',
        ' ',
        'x'.repeat(256),
        'x'.repeat(10_000),
        'two words',
        '%ZZ',
        '../..',
        'invoice-1001',
        'tenant-b-key',
        '{"$ne":null}',
      ]);
      d.headers['idempotency-key'] = key;
      d.notes.push(`Idempotency-Key '${key.slice(0, 20)}'`);
    },
  ],
  [
    1,
    (rng, d) => {
      d.raw = Buffer.alloc(API_LIMITS.httpBodyBytes + rng.int(1, 1024), 0x20);
      d.chunked = rng.chance(0.5);
      d.notes.push(`body over 10 MiB${d.chunked ? ', chunked' : ''}`);
    },
  ],
];

export function httpCase(rng: Prng, t: FuzzTargets): HttpCase {
  const base = rng.pick(bases(t));
  const d: Draft = {
    method: base.method,
    path: base.path,
    query: { ...base.query },
    headers: { authorization: `Bearer ${t.tokenA}`, 'content-type': 'application/json' },
    json: base.body ?? {},
    notes: [],
  };
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i++) rng.weighted(MUTATIONS)(rng, d, t);
  const search = new URLSearchParams(d.query).toString();
  const hasBody = base.body !== undefined || d.raw !== undefined || rng.chance(0.1);
  return {
    kind: 'http',
    label: `${base.method} ${base.path}: ${d.notes.join(', ')}`,
    method: d.method,
    path: `${d.path}${search === '' ? '' : `?${search}`}`,
    headers: d.headers,
    ...(hasBody ? { body: d.raw ?? Buffer.from(JSON.stringify(d.json)) } : {}),
    ...(d.chunked ? { chunked: true } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP that no client library would send.
// ---------------------------------------------------------------------------------------------

export function rawCase(rng: Prng, t: FuzzTargets): RawCase {
  const auth = `Authorization: Bearer ${t.tokenA}\r\n`;
  const choices: [string, string][] = [
    ['garbage request line', `${rng.bytes(rng.int(1, 200)).toString('latin1')}\r\n\r\n`],
    ['HTTP/0.9', 'GET /jobs\r\n\r\n'],
    ['bad header name', `GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n`],
    ['NUL in the path', `GET /jobs/a\u0000b HTTP/1.1\r\nHost: x\r\n${auth}\r\n`],
    ['negative length', `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: -5\r\n\r\n{}`],
    [
      'two lengths',
      `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`,
    ],
    [
      'length and chunked',
      `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      'bad chunk size',
      `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ],
    [
      'body shorter than its length',
      `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 500\r\n\r\n{"pipeline":"wordcount"}`,
    ],
    ...(['a\u0001b', 'caf\u00e9-\u00ff'] as const).map((key): [string, string] => {
      const body = '{"pipeline":"wordcount","params":{"document_id":"r1","text":"raw"}}';
      return [
        `Idempotency-Key ${key.charCodeAt(1) < 0x20 ? 'with a control byte' : 'of non-ASCII bytes'}`,
        `POST /jobs HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ];
    }),
    ['huge header', `GET /jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['obsolete line folding', `GET /jobs HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`],
    ['absolute form', `GET http://evil.example/jobs HTTP/1.1\r\nHost: x\r\n${auth}\r\n`],
    ['unknown version', 'GET /jobs HTTP/7.0\r\nHost: x\r\n\r\n'],
    [
      'request smuggling',
      `POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\nGET /jobs HTTP/1.1\r\n\r\n`,
    ],
  ];
  const [label, text] = rng.pick(choices);
  return { kind: 'raw', label, bytes: Buffer.from(text, 'latin1') };
}

// ---------------------------------------------------------------------------------------------
// WebSocket handshakes and frames.
// ---------------------------------------------------------------------------------------------

export function wsCase(rng: Prng, t: FuzzTargets): WsCase {
  const path = `/ws?token=${t.tokenA}`;
  const kind = rng.weighted<'handshake' | 'malformed' | 'message'>([
    [1, 'handshake'],
    [3, 'malformed'],
    [3, 'message'],
  ]);
  if (kind === 'handshake') {
    const [label, p, headers] = rng.pick<[string, string, Record<string, string>]>([
      ['no token', '/ws', {}],
      ['wrong token', '/ws?token=nope', {}],
      ['hostile token', `/ws?token=${encode(rng.pick(HOSTILE_STRINGS))}`, {}],
      ['wrong path', `/ws/x?token=${t.tokenA}`, {}],
      ['bad key', path, { 'Sec-WebSocket-Key': 'short' }],
      ['bad version', path, { 'Sec-WebSocket-Version': '12' }],
      ['malformed query', `/ws?token=%ZZ`, {}],
    ]);
    return { kind: 'ws', label: `handshake: ${label}`, path: p, headers };
  }
  if (kind === 'malformed') {
    const payload = rng.bytes(rng.int(0, 64));
    const [label, frame, codes] = rng.pick<[string, RawFrame, number[]]>([
      ['RSV bits', { rsv: rng.int(1, 7), opcode: 0x1, payload }, [1002]],
      ['invalid UTF-8', { opcode: 0x1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff]) }, [1007]],
      ['unmasked', { opcode: 0x1, payload: Buffer.from('{"action":"ping"}'), masked: false }, [1002]],
      [
        'length header over the limit',
        { opcode: 0x2, announcedLength: rng.int(API_LIMITS.wsMessageBytes + 1, 2 ** 31) },
        [1009],
      ],
      [
        'reserved opcode',
        { opcode: rng.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]), payload },
        [1002],
      ],
      ['fragmented control frame', { fin: false, opcode: rng.pick([0x8, 0x9, 0xa]), payload }, [1002]],
      ['control frame over 125 bytes', { opcode: 0x9, payload: rng.bytes(rng.int(126, 400)) }, [1002]],
      ['continuation of nothing', { opcode: 0x0, payload }, [1002]],
    ]);
    return {
      kind: 'ws',
      label: `frame: ${label}`,
      path,
      headers: {},
      frame: encodeFrame(frame),
      closeCodes: codes,
    };
  }
  const text = rng.pick([
    '',
    'not json',
    '{',
    '[]',
    'null',
    JSON.stringify({ action: 'subscribe', job_id: rng.pick(HOSTILE_IDS) }),
    JSON.stringify({ action: 'subscribe', job_id: t.jobB }),
    JSON.stringify({ action: 'subscribe', stream: 'everyone' }),
    JSON.stringify({ action: rng.pick(HOSTILE_STRINGS) }),
    JSON.stringify({ action: 'ping', extra: rng.pick(HOSTILE_VALUES) }),
    `{"action":"subscribe","job_id":${nest(rng.pick([33, 1_000, 20_000]), 'x')}}`,
    JSON.stringify({ action: 'ping', pad: 'x'.repeat(API_LIMITS.wsMessageBytes - 40) }),
  ]);
  const binary = rng.chance(0.15);
  return {
    kind: 'ws',
    label: `message: ${binary ? 'binary ' : ''}${text.slice(0, 60)}`,
    path,
    headers: {},
    frame: encodeFrame({ opcode: binary ? 0x2 : 0x1, payload: Buffer.from(text) }),
  };
}

/**
 * The cases of one run, in order: generating them needs no server, so any one can be replayed. They
 * are made one at a time, so a long run holds one case's bodies (up to 10 MiB) at once, not all.
 */
export function* generateCases(rng: Prng, t: FuzzTargets, count: number): Generator<FuzzCase> {
  for (let i = 0; i < count; i++) {
    const kind = rng.weighted<'http' | 'raw' | 'ws'>([
      [78, 'http'],
      [7, 'raw'],
      [15, 'ws'],
    ]);
    yield kind === 'http' ? httpCase(rng, t) : kind === 'raw' ? rawCase(rng, t) : wsCase(rng, t);
  }
}
