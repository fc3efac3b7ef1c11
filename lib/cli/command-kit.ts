import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ApiError } from '../client/http.js';
import { closest } from '../client/suggest.js';

/**
 * What the commands share: where the API is and who calls it, typed flag parsers (a bad value is
 * a usage error before any request, naming the valid values), and how failures exit:
 * 0 success, 1 failure (an API error, or a watched job that did not end DONE), 2 usage,
 * 130 interrupted. This module loads only commander, so defining the commands is instant.
 */

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** A mistake in how a command was called, found before any request (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Connection {
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string;
}

/** The host part of something a person typed as a URL, for "did you mean" suggestions. */
const HOSTISH = /^[\w.-]+(:\d+)?(\/.*)?$/;

/** `--url`: an http(s) URL with a host; a bare host:port gets a suggestion. */
export function httpUrl(value: string): string {
  if (value === '') return DEFAULT_URL;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    const guess = HOSTISH.test(value) ? `; did you mean http://${value}?` : '';
    throw new InvalidArgumentError(`Expected an http:// or https:// URL such as ${DEFAULT_URL}${guess}`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('Expected the API base URL, without a query or fragment.');
  }
  return value.replace(/\/+$/, '');
}

/** `--ws-url`: a ws(s) URL; an http(s) one gets the ws(s) spelling suggested. */
export function wsUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.host === '') {
    const guess =
      url?.protocol === 'http:' || url?.protocol === 'https:'
        ? `; did you mean ${value.replace(/^http/, 'ws')}?`
        : HOSTISH.test(value)
          ? `; did you mean ws://${value}?`
          : '';
    throw new InvalidArgumentError(`Expected a ws:// or wss:// URL such as ws://127.0.0.1:8787/ws${guess}`);
  }
  return value.replace(/\/+$/, '');
}

/** The local dev runtime serves WebSockets at <url>/ws; a deployment has its own WebSocketUrl. */
export const defaultWsUrl = (httpUrlValue: string): string =>
  `${httpUrlValue.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;

/** The connection options every API command takes (flags, then environment, then the dev runtime). */
export function connectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'HTTP API base URL')
        .env('STAGECOACH_URL')
        .default(DEFAULT_URL)
        .argParser(httpUrl),
    )
    .addOption(
      new Option('--ws-url <url>', 'WebSocket URL (default: <url>/ws, as stagecoach dev serves it)')
        .env('STAGECOACH_WS_URL')
        .argParser(wsUrl),
    )
    .addOption(
      new Option('--token <token>', 'bearer token: a dev token locally, a Cognito ID token in AWS').env(
        'STAGECOACH_TOKEN',
      ),
    );
}

export function connectionOf(command: Command): Connection {
  const o = command.optsWithGlobals<{ url?: string; wsUrl?: string; token?: string }>();
  const url = o.url ?? DEFAULT_URL;
  if (o.token === undefined || o.token === '') {
    throw new UsageError('a token is needed: pass --token or set STAGECOACH_TOKEN');
  }
  return { url, wsUrl: o.wsUrl ?? defaultWsUrl(url), token: o.token };
}

// ---------------------------------------------------------------------------------------------
// Typed flag parsers: commander prints "option '--x <v>' argument 'bad' is invalid." and ours.
// ---------------------------------------------------------------------------------------------

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Expected a positive number.');
  }
  return n;
}

/** One of `values`, in any case; the answer is spelled as in `values`. */
export function choice<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    const found = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (found !== undefined) return found;
    const near = closest(value, values);
    throw new InvalidArgumentError(
      `Expected one of ${values.join(', ')}${near === undefined ? '' : ` (did you mean ${near}?)`}.`,
    );
  };
}

/** A repeatable `key=value` (tags, selectors). */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`Expected key=value, got '${value}'.`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/**
 * A repeatable `--param key=value`, kept as typed: whether `1` is a number or text is decided
 * once the param's schema is known (see lib/cli/param-input.ts).
 */
export function paramText(
  value: string,
  previous: readonly (readonly [string, string])[] = [],
): (readonly [string, string])[] {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`Expected key=value, got '${value}'.`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

/** A JSON object (`--params`). */
export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`Expected a JSON object such as '{"key":"value"}'.`);
  }
  return parsed as Record<string, unknown>;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in whole seconds: `600`, `90s`, `10m`, `2h`, `1d`, up to `max` seconds. */
export function seconds(max: number): (value: string) => number {
  return (value) => {
    const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
    const total = match === null ? Number.NaN : Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
    if (!Number.isInteger(total) || total < 1 || total > max) {
      throw new InvalidArgumentError(
        `Expected a duration such as 600, 90s, 10m, 2h or 1d (at most ${max / 86_400}d).`,
      );
    }
    return total;
  };
}

// ---------------------------------------------------------------------------------------------
// Exits.
// ---------------------------------------------------------------------------------------------

const isApiError = (error: unknown): error is ApiError =>
  error instanceof Error && error.name === 'ApiError' && 'status' in error && 'code' in error;

/** What to change, by the client's error code; the client itself knows nothing of flags. */
const HINTS: Readonly<Record<string, string>> = {
  UNREACHABLE: '; is the API running (stagecoach dev), and is --url right?',
  TLS_MISMATCH: ' (--url)',
  TLS_CERTIFICATE: '; check the host in --url',
  NOT_AN_API: '; check --url',
};

/** The exit code and the one line on stderr for a failure. */
export function failure(error: unknown): { code: number; text: string } {
  if (error instanceof InvalidArgumentError || error instanceof UsageError) {
    return { code: EXIT.usage, text: `error: ${error.message}` };
  }
  if (isApiError(error)) {
    const hint = error.status === 401 ? ' (check --token or STAGECOACH_TOKEN)' : (HINTS[error.code] ?? '');
    return { code: EXIT.failure, text: `error: ${error.describe()}${hint}` };
  }
  return { code: EXIT.failure, text: `error: ${error instanceof Error ? error.message : String(error)}` };
}

/** Runs a command body, turning every failure into one line on stderr and an exit code. */
export function action<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      const { code, text } = failure(error);
      console.error(text);
      process.exitCode = code;
    }
  };
}
