import { type Command, InvalidArgumentError, Option } from 'commander';
import { ApiError } from '../client/http.js';
import { defaultWsUrl } from '../client/live.js';

/** What the API commands share: where the API is, who calls it, and how failures exit. */

const DEFAULT_URL = 'http://127.0.0.1:8787';

export interface Connection {
  readonly url: string;
  readonly wsUrl: string;
  readonly token: string;
}

/** The connection options every API command takes (flags, then environment, then the dev runtime). */
export function connectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'HTTP API base URL (env STAGECOACH_URL)').default(
        process.env.STAGECOACH_URL ?? DEFAULT_URL,
      ),
    )
    .option(
      '--ws-url <url>',
      'WebSocket URL (env STAGECOACH_WS_URL; default <url>/ws, as stagecoach dev serves it)',
    )
    .option(
      '--token <token>',
      'bearer token: a dev token locally, a Cognito ID token in AWS (env STAGECOACH_TOKEN)',
    );
}

export function connectionOf(command: Command): Connection {
  const o = command.optsWithGlobals<{ url: string; wsUrl?: string; token?: string }>();
  const token = o.token ?? process.env.STAGECOACH_TOKEN;
  if (token === undefined || token === '') {
    throw new InvalidArgumentError('a token is needed: pass --token or set STAGECOACH_TOKEN');
  }
  return { url: o.url, wsUrl: o.wsUrl ?? process.env.STAGECOACH_WS_URL ?? defaultWsUrl(o.url), token };
}

/** `key=value` → a parameter; numbers are numbers, JSON values are parsed, the rest stay text. */
export function parameter(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`--param wants key=value, got '${value}'`);
  const key = value.slice(0, at);
  const text = value.slice(at + 1);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: a plain string such as auto or linear
  }
  return { ...previous, [key]: parsed };
}

/** Runs a command body, turning every failure into one line on stderr and an exit code. */
export function action<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      if (error instanceof InvalidArgumentError) {
        console.error(`error: ${error.message}`);
        process.exitCode = 2;
      } else {
        console.error(
          `error: ${error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error)}`,
        );
        process.exitCode = 1;
      }
    }
  };
}
