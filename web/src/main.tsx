import './styles.css';
import 'uplot/dist/uPlot.min.css';
import { type JSX, render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { completeSignIn, signOutUrl, startSignIn } from './cognito.js';
import { LiveFeed, type LiveState } from './live.js';
import { AnalysisPage } from './pages/analysis.js';
import { JobPage } from './pages/job.js';
import { OperationsPage } from './pages/operations.js';
import { RunsPage } from './pages/runs.js';
import { SignIn } from './pages/sign-in.js';
import { StructurePage, StructuresPage } from './pages/structures.js';
import {
  type ConsoleConfig,
  forgetToken,
  loadConfig,
  openSession,
  type Session,
  storedToken,
  storeToken,
} from './session.js';
import { Console, ErrorBox } from './ui.js';

/** Hash routes, so console paths never meet the API's (/jobs, /holds, /structures …). */
function useRoute(): string[] {
  const read = (): string[] =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onHash = (): void => setRoute(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function page(route: readonly string[]): JSX.Element {
  const [first, second, third] = route;
  if (first === 'jobs' && second !== undefined) return <JobPage jobId={second} />;
  if (first === 'operations') return <OperationsPage />;
  if (first === 'oma' && second !== undefined && third !== undefined)
    return <AnalysisPage structureId={second} analysisId={third} />;
  if (first === 'oma' && second !== undefined) return <StructurePage structureId={second} />;
  if (first === 'oma') return <StructuresPage />;
  return <RunsPage />;
}

const NAV = [
  ['runs', 'Runs', '#/runs'],
  ['operations', 'Operations', '#/operations'],
  ['oma', 'OMA', '#/oma'],
] as const;

function Shell(props: { session: Session; onSignOut: () => void }): JSX.Element {
  const route = useRoute();
  const live = useMemo(() => new LiveFeed(props.session.wsUrl, props.session.token), [props.session]);
  const [state, setState] = useState<LiveState>(live.state);
  useEffect(() => {
    const off = live.onState(setState);
    return () => {
      off();
      live.close();
    };
  }, [live]);
  const section = route[0] === 'jobs' || route[0] === undefined ? 'runs' : route[0];
  return (
    <Console.Provider value={{ session: props.session, live }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Stagecoach</span>
        <nav aria-label="Sections">
          {NAV.map(([key, label, href]) => (
            <a key={key} href={href} aria-current={section === key ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live live-${state}`} role="status" aria-live="polite">
          {state === 'live' ? '● live' : state === 'connecting' ? '○ connecting' : '○ offline, retrying'}
        </span>
        <ThemeToggle />
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page(route)}
      </main>
    </Console.Provider>
  );
}

function ThemeToggle(): JSX.Element {
  const [theme, setTheme] = useState(() => localStorage.getItem('stagecoach.theme') ?? 'auto');
  useEffect(() => {
    localStorage.setItem('stagecoach.theme', theme);
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <label class="theme">
      Theme{' '}
      <select value={theme} onChange={(e) => setTheme(e.currentTarget.value)}>
        <option value="auto">system</option>
        <option value="light">light</option>
        <option value="dark">dark</option>
      </select>
    </label>
  );
}

function App(): JSX.Element {
  const [config, setConfig] = useState<ConsoleConfig | undefined>();
  const [token, setToken] = useState<string | undefined>(storedToken);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    void loadConfig().then(async (loaded) => {
      setConfig(loaded);
      if (loaded.auth.kind === 'cognito') {
        try {
          const idToken = await completeSignIn(loaded.auth);
          if (idToken !== undefined) {
            storeToken(idToken);
            setToken(idToken);
          }
        } catch (e) {
          setError(e);
        }
      }
    });
  }, []);
  const session = useMemo(
    () => (config === undefined || token === undefined ? undefined : openSession(config, token)),
    [config, token],
  );
  if (config === undefined) return <p class="loading">Loading…</p>;
  if (session === undefined) {
    return (
      <main id="main">
        <ErrorBox error={error} title="Sign-in failed" />
        <SignIn
          config={config}
          onToken={(t) => {
            storeToken(t);
            setToken(t);
          }}
          onCognito={() => (config.auth.kind === 'cognito' ? void startSignIn(config.auth) : undefined)}
        />
      </main>
    );
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        forgetToken();
        setToken(undefined);
        if (config.auth.kind === 'cognito') window.location.assign(signOutUrl(config.auth));
      }}
    />
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
