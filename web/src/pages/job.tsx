import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Attempt, Job, JobEventRecord, PipelineDescription } from '../../../lib/client/jobs.js';
import { ReplayForm } from '../components/replay-form.js';
import { ErrorBox, fmtDuration, fmtTime, Progress, Status, useConsole, useLive, useLoad } from '../ui.js';

interface JobData {
  readonly job: Job;
  readonly events: readonly JobEventRecord[];
  readonly attempts: readonly Attempt[];
  readonly pipeline: PipelineDescription | undefined;
}

/** One job: its pipeline as a graph, the timeline of its attempts, its params, its event log, control. */
export function JobPage(props: { jobId: string }): JSX.Element {
  const { session, live } = useConsole();
  const data = useLoad(async (): Promise<JobData> => {
    live.watchJob(props.jobId);
    const [job, events, attempts, pipelines] = await Promise.all([
      session.jobs.get(props.jobId),
      session.jobs.allEvents(props.jobId),
      session.jobs.attempts(props.jobId),
      session.jobs.pipelines(),
    ]);
    return { job, events, attempts, pipeline: pipelines.find((p) => p.name === job.pipeline) };
  }, [props.jobId, session]);
  const [progress, setProgress] = useState<
    { stage: string; percent: number; message?: string } | undefined
  >();
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useLive((message) => {
    if (message.type !== 'event' || message.event.job_id !== props.jobId) return;
    const { type, stage, data: d } = message.event;
    if (type === 'stage.progress') {
      const percent = typeof d?.percent === 'number' ? d.percent : 0;
      setProgress({ stage, percent, ...(typeof d?.message === 'string' ? { message: d.message } : {}) });
      return;
    }
    if (type === 'stage.started') setProgress({ stage, percent: 0 });
    // Several events arrive together at a stage boundary: reload once for them.
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => data.reload(), 150);
  });

  if (data.value === undefined) {
    return data.error === undefined ? <p class="loading">Loading job…</p> : <ErrorBox error={data.error} />;
  }
  const { job, events, attempts, pipeline } = data.value;
  const running = job.status === 'RUNNING';
  const shown = running
    ? ((progress?.stage === job.stage ? progress : undefined) ??
      (job.progress === undefined ? undefined : { stage: job.stage, ...job.progress }))
    : undefined;
  return (
    <section aria-labelledby="job-title">
      <p class="crumbs">
        <a href="#/runs">Runs</a> / job
      </p>
      <h1 id="job-title">
        Job <code>{job.job_id}</code> <Status status={job.status} />
      </h1>
      <dl class="facts">
        <dt>Pipeline</dt>
        <dd>{job.pipeline}</dd>
        <dt>Stage</dt>
        <dd>{job.stage}</dd>
        <dt>Range</dt>
        <dd>
          {job.entry_stage ?? '–'} → {job.exit_stage ?? '–'}
        </dd>
        <dt>Created</dt>
        <dd>{fmtTime(job.created_at)}</dd>
        <dt>Updated</dt>
        <dd>{fmtTime(job.updated_at)}</dd>
        {job.finished_at === undefined ? null : (
          <>
            <dt>Finished</dt>
            <dd>{fmtTime(job.finished_at)}</dd>
          </>
        )}
        <dt>Tags</dt>
        <dd>
          {Object.entries(job.tags ?? {})
            .map(([k, v]) => `${k}:${v}`)
            .join(', ') || '–'}
        </dd>
      </dl>
      {job.error === undefined ? null : (
        <div class="error" role="alert">
          <strong>{job.error.code}</strong> at stage {job.error.stage ?? job.stage}: {job.error.message}
        </div>
      )}
      {shown === undefined ? null : (
        <Progress
          percent={shown.percent}
          label={`${shown.stage}${shown.message ? ` — ${shown.message}` : ''}`}
        />
      )}
      <Controls job={job} pipeline={pipeline} onChange={() => data.reload()} />
      <h2>Pipeline</h2>
      <Graph job={job} events={events} pipeline={pipeline} />
      <h2>Timeline</h2>
      <Timeline attempts={attempts} events={events} />
      <h2>Params</h2>
      <ParamsByStage job={job} events={events} pipeline={pipeline} />
      <h2>Event log</h2>
      <EventLog events={events} />
    </section>
  );
}

function Controls(props: {
  job: Job;
  pipeline: PipelineDescription | undefined;
  onChange: () => void;
}): JSX.Element {
  const { session } = useConsole();
  const [error, setError] = useState<unknown>();
  const [replaying, setReplaying] = useState(false);
  const act = (what: () => Promise<Job>) => async (): Promise<void> => {
    setError(undefined);
    try {
      await what();
      props.onChange();
    } catch (e) {
      setError(e);
    }
  };
  const id = props.job.job_id;
  return (
    <div class="controls">
      <fieldset class="buttons">
        <legend class="sr-only">Control</legend>
        <button type="button" onClick={act(() => session.jobs.abort(id, 'aborted from the console'))}>
          Abort
        </button>
        <button type="button" onClick={act(() => session.jobs.pause(id))}>
          Pause
        </button>
        <button type="button" onClick={act(() => session.jobs.resume(id))}>
          Resume
        </button>
        <button type="button" aria-expanded={replaying} onClick={() => setReplaying((r) => !r)}>
          Replay…
        </button>
      </fieldset>
      <ErrorBox error={error} title="The API refused" />
      {replaying ? (
        <ReplayForm
          job={props.job}
          pipeline={props.pipeline}
          onDone={() => {
            setReplaying(false);
            props.onChange();
          }}
        />
      ) : null}
    </div>
  );
}

/** The state of each stage, from the job and the events of its latest run (since the last replay). */
function stageStates(job: Job, events: readonly JobEventRecord[], pipeline: PipelineDescription): string[] {
  const names = pipeline.stages.map((s) => s.name);
  const lastReplay = events.map((e) => e.type).lastIndexOf('job.replayed');
  const run = lastReplay < 0 ? events : events.slice(lastReplay);
  const completed = new Set(run.filter((e) => e.type === 'stage.completed').map((e) => e.stage));
  const entry = names.indexOf(job.entry_stage ?? names[0] ?? '');
  const exit = names.indexOf(job.exit_stage ?? names.at(-1) ?? '');
  return names.map((name, i) => {
    if (i < entry || (exit >= 0 && i > exit)) return 'skipped';
    if (name === job.stage && job.status !== 'DONE') return job.status;
    if (completed.has(name) || job.status === 'DONE') return 'DONE';
    return 'pending';
  });
}

function Graph(props: {
  job: Job;
  events: readonly JobEventRecord[];
  pipeline: PipelineDescription | undefined;
}): JSX.Element {
  if (props.pipeline === undefined)
    return <p class="hint">This deployment no longer describes pipeline {props.job.pipeline}.</p>;
  const states = stageStates(props.job, props.events, props.pipeline);
  return (
    <ol class="graph" aria-label={`Pipeline ${props.pipeline.name}`}>
      {props.pipeline.stages.map((stage, i) => (
        <li
          key={stage.name}
          class={`node node-${(states[i] ?? 'pending').toLowerCase()}`}
          data-stage={stage.name}
        >
          <span class="node-name">{stage.name}</span>
          <Status status={states[i] ?? 'pending'} />
          <span class="node-meta">
            {stage.compute} · {stage.max_retries + 1} attempts
          </span>
        </li>
      ))}
    </ol>
  );
}

function Timeline(props: { attempts: readonly Attempt[]; events: readonly JobEventRecord[] }): JSX.Element {
  const { attempts } = props;
  if (attempts.length === 0) return <p class="hint">No stage has run yet.</p>;
  const t0 = Math.min(...attempts.map((a) => Date.parse(a.started_at)));
  const t1 = Math.max(...attempts.map((a) => Date.parse(a.ended_at)));
  const span = Math.max(1, t1 - t0);
  const retryDelay = (a: Attempt): number | undefined => {
    const failed = props.events.find(
      (e) => e.type === 'stage.failed' && e.stage === a.stage && e.attempt === a.attempt,
    );
    const delay = failed?.data?.retry_in_ms;
    return typeof delay === 'number' ? delay : undefined;
  };
  return (
    <table class="timeline">
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col">Attempt</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col" class="bar-col">
            When
          </th>
          <th scope="col">Worker</th>
          <th scope="col">Outcome</th>
          <th scope="col">Error</th>
          <th scope="col">Retry in</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => {
          const left = ((Date.parse(a.started_at) - t0) / span) * 100;
          const width = Math.max(0.5, (a.duration_ms / span) * 100);
          return (
            <tr key={`${a.stage}-${a.hop}-${a.attempt}`}>
              <td>{a.stage}</td>
              <td>{a.attempt}</td>
              <td>{fmtTime(a.started_at)}</td>
              <td>{fmtDuration(a.duration_ms)}</td>
              <td class="bar-col" aria-hidden="true">
                <div class={`bar bar-${a.outcome}`} style={{ marginLeft: `${left}%`, width: `${width}%` }} />
              </td>
              <td>
                <code>{a.worker}</code>
              </td>
              <td>{a.outcome}</td>
              <td>{a.error === undefined ? '–' : `${a.error.code}: ${a.error.message}`}</td>
              <td>{fmtDuration(retryDelay(a))}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * What each stage added to params: its declared outputs, with the values the job holds now (the
 * event log names the keys; values are not copied into events). Params before the first stage are
 * the job's params less every stage's outputs.
 */
function ParamsByStage(props: {
  job: Job;
  events: readonly JobEventRecord[];
  pipeline: PipelineDescription | undefined;
}): JSX.Element {
  const params = props.job.params;
  const stages = props.pipeline?.stages ?? [];
  const completed = new Set(props.events.filter((e) => e.type === 'stage.completed').map((e) => e.stage));
  const outputs = new Set(stages.flatMap((s) => s.outputs));
  const initial = Object.entries(params).filter(([k]) => !outputs.has(k));
  const show = (value: unknown): string => {
    const text = JSON.stringify(value);
    return text === undefined ? '–' : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  };
  return (
    <table class="params">
      <thead>
        <tr>
          <th scope="col">Before / after</th>
          <th scope="col">Param</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {initial.map(([key, value], i) => (
          <tr key={`in-${key}`}>
            {i === 0 ? (
              <th scope="rowgroup" rowSpan={initial.length}>
                submitted
              </th>
            ) : null}
            <td>
              <code>{key}</code>
            </td>
            <td>
              <code>{show(value)}</code>
            </td>
          </tr>
        ))}
        {stages
          .filter((s) => completed.has(s.name))
          .flatMap((s) =>
            s.outputs.map((key, i) => (
              <tr key={`${s.name}-${key}`}>
                {i === 0 ? (
                  <th scope="rowgroup" rowSpan={s.outputs.length}>
                    + {s.name}
                  </th>
                ) : null}
                <td>
                  <code>{key}</code>
                </td>
                <td>
                  <code>{show(params[key])}</code>
                </td>
              </tr>
            )),
          )}
      </tbody>
    </table>
  );
}

function EventLog(props: { events: readonly JobEventRecord[] }): JSX.Element {
  return (
    <table class="events">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Stage</th>
          <th scope="col">Status</th>
          <th scope="col">Attempt</th>
          <th scope="col">Data</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((e, i) => (
          <tr key={e.event_id ?? i}>
            <td>{fmtTime(e.time)}</td>
            <td>
              <code>{e.type}</code>
            </td>
            <td>{e.stage}</td>
            <td>{e.status}</td>
            <td>{e.attempt ?? '–'}</td>
            <td>
              <code class="data">{e.data === undefined ? '' : JSON.stringify(e.data)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
