import { JSON_LIMITS } from '../ports/json-limits.js';

/**
 * What one request may cost, in one place: the deployed APIs get the transport limits from API
 * Gateway (an HTTP API refuses a payload over 10 MB, a WebSocket API a frame over 128 KB), the local
 * gateway of `stagecoach dev` applies the same ones itself, and both apply the JSON limits. The
 * table in docs/security.md lists them.
 */
export const API_LIMITS = {
  /** Most bytes of an HTTP request body, refused (413) while it is read, before authentication. */
  httpBodyBytes: 10 * 1024 * 1024,
  /** Most bytes of one WebSocket message (a larger frame closes the socket with 1009). */
  wsMessageBytes: 128 * 1024,
  /** Most bytes and nesting of a JSON body or message (400 naming the limit). */
  jsonBodyBytes: JSON_LIMITS.maxBodyBytes,
  jsonDepth: JSON_LIMITS.maxDepth,
  /** The local gateway: time for a client to send its request headers. */
  headersTimeoutMs: 10_000,
  /** The local gateway: time for a client to send an API request's body once its headers are in. */
  bodyTimeoutMs: 30_000,
  /** The local gateway: a presigned upload may take longer, but not stall longer than this. */
  uploadIdleTimeoutMs: 30_000,
  /** The local gateway: most bytes of a presigned PUT (S3's single-PUT limit). */
  uploadBytes: 5 * 1024 * 1024 * 1024,
} as const;

export type ApiLimits = { -readonly [K in keyof typeof API_LIMITS]: number };
