/**
 * Signing in with the Cognito user pool's hosted UI: the OAuth 2.0 authorization-code flow with
 * PKCE (RFC 7636), as a public client (no secret in the browser). The ID token it returns is the
 * bearer token the API's JWT authorizer accepts; it lives in sessionStorage for this tab only.
 */

export interface CognitoAuth {
  readonly domain: string;
  readonly clientId: string;
}

const VERIFIER = 'stagecoach.pkce.verifier';
const STATE = 'stagecoach.pkce.state';

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

const randomText = (n: number): string => base64url(crypto.getRandomValues(new Uint8Array(n)));

/** The callback is the console's own address (listed in the app client's callback URLs). */
export const redirectUri = (): string => `${window.location.origin}${window.location.pathname}`;

export async function startSignIn(auth: CognitoAuth): Promise<void> {
  const verifier = randomText(48);
  const state = randomText(16);
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email',
    code_challenge_method: 'S256',
    code_challenge: base64url(digest),
    state,
  });
  window.location.assign(`${auth.domain}/oauth2/authorize?${query}`);
}

/** Finishes a sign-in when the hosted UI has sent the browser back with a code; the ID token or undefined. */
export async function completeSignIn(auth: CognitoAuth): Promise<string | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  if (code === null) return undefined;
  const verifier = sessionStorage.getItem(VERIFIER);
  const expected = sessionStorage.getItem(STATE);
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  window.history.replaceState(null, '', `${redirectUri()}${window.location.hash}`);
  if (verifier === null || expected === null || params.get('state') !== expected) {
    throw new Error('The sign-in answer does not belong to this tab (state mismatch); sign in again.');
  }
  const response = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    }),
  });
  const json: unknown = await response.json().catch(() => ({}));
  const idToken = typeof json === 'object' && json !== null ? Reflect.get(json, 'id_token') : undefined;
  if (!response.ok || typeof idToken !== 'string') {
    throw new Error(`Cognito refused the sign-in (HTTP ${response.status}); sign in again.`);
  }
  return idToken;
}

export function signOutUrl(auth: CognitoAuth): string {
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri() });
  return `${auth.domain}/logout?${query}`;
}
