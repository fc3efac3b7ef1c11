import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { JOB_STATUSES, type Job, type PipelineDescription } from '../../../lib/client/jobs.js';
import { type Counts, countRuns, listRuns, matches, type RunFilters } from '../runs-api.js';
import { ErrorBox, fmtTime, Progress, Status, shortId, useConsole, useLive, useLoad } from '../ui.js';

/** Every job of the tenant, newest first, kept up to date from the tenant's live stream. */
export function RunsPage(): JSX.Element {
  const { session } = useConsole();
  const pipelines = useLoad(() => session.jobs.pipelines(), [session]);
  const [filters, setFilters] = useState<RunFilters>({});
  const [jobs, setJobs] = useState<Job[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [counts, setCounts] = useState<Counts>({});
  /** A pending recount: live status changes ask the server again, at most once a second. */
  const recount = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scheduleRecount = (): void => {
    if (recount.current !== undefined) return;
    recount.current = setTimeout(() => {
      recount.current = undefined;
      countRuns(session, filters.pipeline).then(setCounts, () => undefined);
    }, 1000);
  };
  useEffect(() => () => clearTimeout(recount.current), []);

  const load = async (more: boolean): Promise<void> => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await listRuns(session, filters, more ? cursor : undefined);
      setJobs((current) => (more ? [...current, ...page.items] : [...page.items]));
      setCursor(page.cursor);
      setCounts(await countRuns(session, filters.pipeline));
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(false);
  }, [filters, session]);

  useLive((message) => {
    if (message.type !== 'event') return;
    const event = message.event;
    if (event.type === 'stage.progress') {
      const percent = typeof event.data?.percent === 'number' ? event.data.percent : 0;
      const text = typeof event.data?.message === 'string' ? event.data.message : undefined;
      setJobs((current) =>
        current.map((job) =>
          job.job_id === event.job_id
            ? {
                ...job,
                progress: { percent, ...(text === undefined ? {} : { message: text }), at: event.time },
              }
            : job,
        ),
      );
      return;
    }
    const status = JOB_STATUSES.find((s) => s === event.status);
    if (status === undefined) return;
    scheduleRecount();
    setJobs((current) => {
      if (current.some((job) => job.job_id === event.job_id)) {
        return current
          .map((job) =>
            job.job_id === event.job_id && event.time >= job.updated_at
              ? {
                  ...job,
                  status,
                  stage: event.stage,
                  updated_at: event.time,
                  ...(event.type === 'stage.started' ? { progress: { percent: 0, at: event.time } } : {}),
                }
              : job,
          )
          .filter((job) => matches(job, filters));
      }
      return current;
    });
    if (event.type === 'job.created') {
      void session.jobs.get(event.job_id).then(
        (job) => {
          if (!matches(job, filters)) return;
          setJobs((current) => (current.some((j) => j.job_id === job.job_id) ? current : [job, ...current]));
        },
        () => undefined,
      );
    }
  });

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <Filters pipelines={pipelines.value ?? []} filters={filters} onChange={setFilters} />
      <fieldset class="counts">
        <legend class="sr-only">Jobs per status</legend>
        {JOB_STATUSES.map((status) => (
          <button
            type="button"
            key={status}
            class={`count ${filters.status === status ? 'selected' : ''}`}
            aria-pressed={filters.status === status}
            onClick={() => setFilters((f) => ({ ...f, status: f.status === status ? undefined : status }))}
          >
            <Status status={status} /> <span data-count={status}>{counts[status] ?? 0}</span>
          </button>
        ))}
        <span class="hint">finished jobs of the last day</span>
      </fieldset>
      <ErrorBox error={error} />
      <table class="runs">
        <caption class="sr-only">Jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Pipeline</th>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
            <th scope="col">Tags</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.job_id} data-job-id={job.job_id}>
              <td>
                <a href={`#/jobs/${encodeURIComponent(job.job_id)}`} title={job.job_id}>
                  <code>{shortId(job.job_id)}</code>
                </a>
              </td>
              <td>{job.pipeline}</td>
              <td>{job.stage}</td>
              <td>
                <Status status={job.status} />
              </td>
              <td>
                {job.status === 'RUNNING' && job.progress !== undefined ? (
                  <Progress percent={job.progress.percent} label={job.stage} />
                ) : null}
              </td>
              <td>{fmtTime(job.created_at)}</td>
              <td>
                {Object.entries(job.tags ?? {}).map(([k, v]) => (
                  <span class="tag" key={k}>
                    {k}:{v}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs.length === 0 && !loading ? <p class="empty">No jobs match.</p> : null}
      {cursor === undefined ? null : (
        <button type="button" onClick={() => void load(true)} disabled={loading}>
          Load more
        </button>
      )}
    </section>
  );
}

function Filters(props: {
  pipelines: readonly PipelineDescription[];
  filters: RunFilters;
  onChange: (filters: RunFilters) => void;
}): JSX.Element {
  const { filters } = props;
  const [draft, setDraft] = useState(filters);
  const stages = [
    ...new Set(
      props.pipelines
        .filter((p) => draft.pipeline === undefined || p.name === draft.pipeline)
        .flatMap((p) => p.stages.map((s) => s.name)),
    ),
  ];
  const set = (key: keyof RunFilters, value: string): void =>
    setDraft((d) => ({ ...d, [key]: value === '' ? undefined : value }));
  const toIso = (local: string): string => (local === '' ? '' : new Date(local).toISOString());
  return (
    <form
      class="filters"
      aria-label="Filter runs"
      onSubmit={(e) => {
        e.preventDefault();
        props.onChange(draft);
      }}
    >
      <label>
        Pipeline
        <select value={draft.pipeline ?? ''} onChange={(e) => set('pipeline', e.currentTarget.value)}>
          <option value="">all</option>
          {props.pipelines.map((p) => (
            <option key={p.name}>{p.name}</option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={draft.status ?? ''} onChange={(e) => set('status', e.currentTarget.value)}>
          <option value="">all</option>
          {JOB_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Stage
        <select value={draft.stage ?? ''} onChange={(e) => set('stage', e.currentTarget.value)}>
          <option value="">all</option>
          {stages.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Tag
        <input
          value={draft.tag ?? ''}
          placeholder="key:value"
          onInput={(e) => set('tag', e.currentTarget.value)}
        />
      </label>
      <label>
        Since
        <input type="datetime-local" onInput={(e) => set('since', toIso(e.currentTarget.value))} />
      </label>
      <label>
        Until
        <input type="datetime-local" onInput={(e) => set('until', toIso(e.currentTarget.value))} />
      </label>
      <label>
        Job id
        <input
          type="search"
          value={draft.q ?? ''}
          placeholder="id or its beginning"
          onInput={(e) => set('q', e.currentTarget.value.trim())}
        />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}
