import { ApiClient } from '../../lib/client/http.js';
import { JobsClient } from '../../lib/client/jobs.js';
import { OmaClient } from '../../lib/client/oma.js';
import { OpsClient } from '../../lib/client/ops.js';

/**
 * Who the console talks to and as whom. The console reads `config.json` beside its files: served
 * by `stagecoach dev` (same origin as the API, dev tokens) or written at deploy time next to the
 * assets in S3 (the API's and WebSocket's URLs, the Cognito hosted UI's domain and app client).
 */
export interface ConsoleConfig {
  /** Base URL of the HTTP API; empty means this origin (stagecoach dev). */
  readonly apiUrl: string;
  /** WebSocket URL; empty means `<apiUrl>/ws`. */
  readonly wsUrl: string;
  readonly auth:
    | { readonly kind: 'dev' }
    | {
        readonly kind: 'cognito';
        /** e.g. https://stagecoach-dev-123.auth.eu-west-1.amazoncognito.com */
        readonly domain: string;
        readonly clientId: string;
      };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const fallback: ConsoleConfig = { apiUrl: '', wsUrl: '', auth: { kind: 'dev' } };
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) return fallback;
    const json: unknown = await response.json();
    if (typeof json !== 'object' || json === null) return fallback;
    const get = (key: string): unknown => Reflect.get(json, key);
    const auth = get('auth');
    const kind = typeof auth === 'object' && auth !== null ? Reflect.get(auth, 'kind') : 'dev';
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return {
      apiUrl: text(get('apiUrl')),
      wsUrl: text(get('wsUrl')),
      auth:
        kind === 'cognito' && typeof auth === 'object' && auth !== null
          ? {
              kind: 'cognito',
              domain: text(Reflect.get(auth, 'domain')),
              clientId: text(Reflect.get(auth, 'clientId')),
            }
          : { kind: 'dev' },
    };
  } catch {
    return fallback;
  }
}

/** Everything a page needs to call the API as the signed-in caller. */
export interface Session {
  readonly config: ConsoleConfig;
  readonly token: string;
  readonly apiUrl: string;
  readonly wsUrl: string;
  readonly api: ApiClient;
  readonly jobs: JobsClient;
  readonly ops: OpsClient;
  readonly oma: OmaClient;
}

export function openSession(config: ConsoleConfig, token: string): Session {
  const apiUrl = (config.apiUrl || window.location.origin).replace(/\/+$/, '');
  const wsUrl = config.wsUrl || `${apiUrl.replace(/^http/, 'ws')}/ws`;
  const api = new ApiClient({ url: apiUrl, token });
  return {
    config,
    token,
    apiUrl,
    wsUrl,
    api,
    jobs: new JobsClient(api),
    ops: new OpsClient(api),
    oma: new OmaClient({ url: apiUrl, token }),
  };
}

const TOKEN_KEY = 'stagecoach.token';

export const storedToken = (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined;
export const storeToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);
