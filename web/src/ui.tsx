import { createContext, type JSX } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../lib/client/http.js';
import type { LiveMessage } from '../../lib/client/live.js';
import type { LiveFeed } from './live.js';
import type { Session } from './session.js';

/** What every page is given: the API as the signed-in caller, and the tenant's live stream. */
export interface ConsoleContext {
  readonly session: Session;
  readonly live: LiveFeed;
}
export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === undefined) throw new Error('the console context is missing');
  return value;
}

/** Calls `listener` for every live message while the component is mounted. */
export function useLive(listener: (message: LiveMessage) => void): void {
  const { live } = useConsole();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => live.on((message) => ref.current(message)), [live]);
}

/** A value loaded from the API, reloaded when `deps` change or `reload()` is called. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): { value: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ value: T | undefined; error: unknown; loading: boolean }>({
    value: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => !cancelled && setState({ value, error: undefined, loading: false }),
      (error: unknown) => !cancelled && setState((s) => ({ value: s.value, error, loading: false })),
    );
    return () => {
      cancelled = true;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** An error as a person should read it: the API's code and message, nothing hidden. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}

export function ErrorBox(props: { error: unknown; title?: string }): JSX.Element | null {
  if (props.error === undefined) return null;
  const details = props.error instanceof ApiError ? props.error.details : undefined;
  return (
    <div class="error" role="alert">
      <strong>{props.title ?? 'The request failed'}</strong>: {describeError(props.error)}
      {details === undefined ? null : <pre class="details">{JSON.stringify(details, null, 2)}</pre>}
    </div>
  );
}

const SYMBOL: Readonly<Record<string, string>> = {
  QUEUED: '◷',
  RUNNING: '▶',
  RETRY_WAITING: '↻',
  PAUSED: '❚❚',
  HELD: '⏸',
  DONE: '✓',
  FAILED: '✕',
  ABORTED: '⊘',
  READY: '○',
  ERROR: '✕',
  pending: '·',
  skipped: '–',
};

/** A status as text with a symbol, so it reads without colour. */
export function Status(props: { status: string }): JSX.Element {
  return (
    <span class={`status status-${props.status.toLowerCase()}`} data-status={props.status}>
      <span aria-hidden="true">{SYMBOL[props.status] ?? '•'}</span> {props.status}
    </span>
  );
}

export function Progress(props: { percent: number; label: string }): JSX.Element {
  const pct = Math.max(0, Math.min(100, props.percent));
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
    >
      <div class="progress-fill" style={{ width: `${pct}%` }} />
      <span class="progress-text">
        {props.label} {pct.toFixed(0)} %
      </span>
    </div>
  );
}

export const fmtTime = (iso: string | undefined): string =>
  iso === undefined ? '–' : new Date(iso).toLocaleString(undefined, { hour12: false });

export function fmtDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const REFRESH_CHOICES = [0, 1, 2, 5, 10] as const;

/** Off, 1, 2, 5 or 10 s, as the dr-queues viewer offers; the choice is kept per tab. */
export function useRefresh(key: string, reload: () => void): JSX.Element {
  const [seconds, setSeconds] = useState<number>(() => Number(sessionStorage.getItem(key) ?? '5'));
  const ref = useRef(reload);
  ref.current = reload;
  useEffect(() => {
    sessionStorage.setItem(key, String(seconds));
    if (seconds === 0) return undefined;
    const timer = setInterval(() => ref.current(), seconds * 1000);
    return () => clearInterval(timer);
  }, [seconds, key]);
  return (
    <label class="refresh">
      Auto-refresh{' '}
      <select value={String(seconds)} onChange={(e) => setSeconds(Number(e.currentTarget.value))}>
        {REFRESH_CHOICES.map((s) => (
          <option key={s} value={String(s)}>
            {s === 0 ? 'off' : `${s} s`}
          </option>
        ))}
      </select>
    </label>
  );
}

export const shortId = (id: string): string => (id.length > 13 ? `${id.slice(0, 8)}…` : id);
