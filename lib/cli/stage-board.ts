/**
 * The state of each stage of a job, built from its events in their sequence rather than their
 * arrival: live events can come twice, late or out of order (on AWS they travel through
 * EventBridge and a queue), so each stage keeps the key of the newest event applied to it — the
 * job's hop, then the attempt, then the event's time — and an older event changes nothing. A
 * `stage.progress` event is live only and is simply superseded by a newer one.
 */

export type StageState =
  | 'waiting'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'paused'
  | 'held'
  | 'done'
  | 'failed'
  | 'skipped'
  | 'aborted';

export interface BoardEvent {
  readonly type: string;
  readonly stage: string;
  readonly status: string;
  readonly hop?: number | undefined;
  readonly attempt?: number | undefined;
  readonly time: string;
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

export interface StageRow {
  readonly stage: string;
  readonly state: StageState;
  /** 0-100, whole numbers. */
  readonly percent: number;
  readonly message: string;
  readonly attempt?: number | undefined;
}

interface Key {
  readonly hop: number;
  readonly attempt?: number | undefined;
  readonly time: string;
  readonly rank: number;
  readonly percent: number;
}

/** What applying an event changed: nothing (stale or a duplicate), progress, or a stage's state. */
export type Change = 'stale' | 'progress' | 'state';

/** Events of one instant in the order they happen. */
const RANK: Readonly<Record<string, number>> = {
  'job.created': 0,
  'job.resumed': 0,
  'job.replayed': 0,
  'stage.started': 1,
  'stage.progress': 2,
  'stage.failed': 3,
  'stage.completed': 3,
  'stage.skipped': 3,
};

/** Negative when `a` happened before `b`. Attempts are compared only when both events carry one. */
function compare(a: Key, b: Key): number {
  if (a.hop !== b.hop) return a.hop - b.hop;
  if (a.attempt !== undefined && b.attempt !== undefined && a.attempt !== b.attempt) {
    return a.attempt - b.attempt;
  }
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.percent - b.percent;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const errorText = (data: Readonly<Record<string, unknown>> | undefined): string => {
  const error = data?.error;
  if (typeof error !== 'object' || error === null) return '';
  const code = text(Reflect.get(error, 'code'));
  const message = text(Reflect.get(error, 'message'));
  return code === '' ? message : `${code}: ${message}`;
};

export class StageBoard {
  readonly #rows = new Map<string, StageRow>();
  readonly #keys = new Map<string, Key>();
  #status = 'QUEUED';
  #statusKey: Key | undefined;

  constructor(stages: readonly string[] = []) {
    for (const stage of stages) this.#rows.set(stage, { stage, state: 'waiting', percent: 0, message: '' });
  }

  /** The stages in pipeline order (those first seen in events come last). */
  rows(): readonly StageRow[] {
    return [...this.#rows.values()];
  }

  row(stage: string): StageRow | undefined {
    return this.#rows.get(stage);
  }

  /** The job's status after the newest event applied. */
  get status(): string {
    return this.#status;
  }

  apply(event: BoardEvent): Change {
    const percent = typeof event.data?.percent === 'number' ? event.data.percent : 0;
    const key: Key = {
      hop: event.hop ?? 0,
      attempt: event.attempt,
      time: event.time,
      rank: RANK[event.type] ?? 4,
      percent,
    };
    if (this.#statusKey === undefined || compare(this.#statusKey, key) <= 0) {
      this.#status = event.status;
      this.#statusKey = key;
    }
    const previous = this.#keys.get(event.stage);
    if (previous !== undefined && compare(key, previous) <= 0) return 'stale';
    const before = this.#rows.get(event.stage);
    const next = this.#next(event, before, percent);
    if (next === undefined) return 'stale';
    this.#keys.set(event.stage, key);
    this.#rows.set(event.stage, next);
    if (event.type === 'job.replayed') this.#resetAfter(event.stage, key);
    return before?.state === next.state && before.attempt === next.attempt ? 'progress' : 'state';
  }

  #next(event: BoardEvent, before: StageRow | undefined, percent: number): StageRow | undefined {
    const stage = event.stage;
    const attempt = event.attempt ?? before?.attempt;
    const row = (state: StageState, p: number, message: string): StageRow => ({
      stage,
      state,
      percent: Math.max(0, Math.min(100, Math.round(p))),
      message,
      attempt,
    });
    switch (event.type) {
      case 'job.created':
      case 'job.resumed':
      case 'job.replayed':
        return row('queued', 0, '');
      case 'stage.started':
        return row('running', 0, (event.attempt ?? 1) > 1 ? `attempt ${event.attempt}` : '');
      case 'stage.progress':
        return row('running', percent, text(event.data?.message));
      case 'stage.completed':
        return row('done', 100, '');
      case 'stage.skipped':
        return row('skipped', before?.percent ?? 0, text(event.data?.reason));
      case 'stage.failed': {
        const retrying = event.status === 'RETRY_WAITING' || event.data?.retryable === true;
        const final = event.status === 'FAILED';
        return row(final || !retrying ? 'failed' : 'retrying', before?.percent ?? 0, errorText(event.data));
      }
      case 'job.paused':
        return row('paused', before?.percent ?? 0, '');
      case 'job.held':
        return row('held', 0, text(event.data?.reason));
      case 'job.aborted':
        return before?.state === 'done'
          ? undefined
          : row('aborted', before?.percent ?? 0, text(event.data?.reason));
      default:
        // job.done and job.failed tell the job's status; the stage events tell the stages'.
        return undefined;
    }
  }

  /** A replay re-runs the stages from `stage` on: they wait again. */
  #resetAfter(stage: string, key: Key): void {
    let after = false;
    for (const [name, row] of this.#rows) {
      if (name === stage) {
        after = true;
        continue;
      }
      if (after && compare(this.#keys.get(name) ?? { ...key, hop: -1 }, key) < 0) {
        this.#rows.set(name, { ...row, state: 'waiting', percent: 0, message: '' });
        this.#keys.set(name, key);
      }
    }
  }
}
