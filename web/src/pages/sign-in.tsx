import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { JobsClient } from '../../../lib/client/jobs.js';
import type { ConsoleConfig } from '../session.js';
import { ErrorBox } from '../ui.js';

/**
 * Locally, a dev token (printed by `stagecoach dev`, kept in .stagecoach/dev-tokens.json), checked
 * against the API before it is kept; deployed, the Cognito hosted UI.
 */
export function SignIn(props: {
  config: ConsoleConfig;
  onToken: (token: string) => void;
  onCognito: () => void;
}): JSX.Element {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (props.config.auth.kind === 'cognito') {
    return (
      <section class="sign-in">
        <h1>Stagecoach console</h1>
        <p>Sign in with your organisation's account.</p>
        <button type="button" class="primary" onClick={props.onCognito}>
          Sign in
        </button>
      </section>
    );
  }
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const url = props.config.apiUrl || window.location.origin;
      await new JobsClient({ url, token: token.trim() }).pipelines();
      props.onToken(token.trim());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="sign-in">
      <h1>Stagecoach console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">Dev token</label>
        <input
          id="token"
          name="token"
          autoComplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          placeholder="dev-token-tenant-a"
        />
        <p class="hint">
          <code>stagecoach dev</code> prints its tokens; they are kept in{' '}
          <code>.stagecoach/dev-tokens.json</code>.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
    </section>
  );
}
