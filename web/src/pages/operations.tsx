import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Hold, Job } from '../../../lib/client/jobs.js';
import { JobSchema, pageOf } from '../../../lib/client/jobs.js';
import type { DeadLetter, QueuesOverview } from '../../../lib/client/ops.js';
import { ThroughputChart } from '../plots/throughput.js';
import { ErrorBox, fmtTime, Status, shortId, useConsole, useLoad, useRefresh } from '../ui.js';

/** Stage queues, holds and dead letters, refreshed on a chosen interval (off, 1, 2, 5, 10 s). */
export function OperationsPage(): JSX.Element {
  const { session } = useConsole();
  const queues = useLoad(() => session.ops.queues(15), [session]);
  const holds = useLoad(async () => {
    const [list, held] = await Promise.all([
      session.jobs.holds(),
      session.api.call('GET', '/jobs?status=HELD&limit=1000', pageOf(JobSchema)),
    ]);
    return { list, held: held.items };
  }, [session]);
  const letters = useLoad(() => session.ops.deadLetters(100), [session]);
  const refresh = useRefresh('stagecoach.refresh.operations', () => {
    queues.reload();
    holds.reload();
    letters.reload();
  });
  return (
    <section aria-labelledby="ops-title">
      <div class="title-row">
        <h1 id="ops-title">Operations</h1>
        {refresh}
      </div>
      <h2>Stages</h2>
      <ErrorBox error={queues.error} />
      {queues.value === undefined ? null : <Stages overview={queues.value} />}
      <h2>Holds</h2>
      <ErrorBox error={holds.error} />
      <Holds holds={holds.value?.list ?? []} held={holds.value?.held ?? []} onChange={holds.reload} />
      <h2>Dead letters</h2>
      <ErrorBox error={letters.error} />
      <DeadLetters letters={letters.value ?? []} onChange={letters.reload} />
    </section>
  );
}

function Stages(props: { overview: QueuesOverview }): JSX.Element {
  const { overview } = props;
  const age = (s: number | undefined): string => (s === undefined ? 'n/a' : `${s} s`);
  return (
    <>
      <table class="stages">
        <caption class="sr-only">Queue depth per stage and lane</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline / stage</th>
            <th scope="col">Lane</th>
            <th scope="col">Waiting</th>
            <th scope="col">In flight</th>
            <th scope="col">Delayed</th>
            <th scope="col">Oldest</th>
            <th scope="col">Dead-letter queue</th>
            <th scope="col">Your jobs here</th>
            <th scope="col">Your dead letters</th>
            <th scope="col">Completed / {overview.window_minutes} min</th>
          </tr>
        </thead>
        <tbody>
          {overview.stages.flatMap((s) =>
            s.lanes.map((lane, i) => (
              <tr key={`${s.pipeline}/${s.stage}/${lane.lane}`} data-stage={`${s.pipeline}/${s.stage}`}>
                {i === 0 ? (
                  <th scope="rowgroup" rowSpan={s.lanes.length}>
                    {s.pipeline} / {s.stage} <span class="hint">({s.compute ?? 'lambda'})</span>
                  </th>
                ) : null}
                <td>{s.lanes.length > 1 ? `p${lane.lane}` : '–'}</td>
                <td>{lane.visible}</td>
                <td>{lane.in_flight}</td>
                <td>{lane.delayed}</td>
                <td>{age(lane.oldest_age_s)}</td>
                {i === 0 ? (
                  <>
                    <td rowSpan={s.lanes.length}>
                      {s.dead_letter_queue.visible +
                        s.dead_letter_queue.in_flight +
                        s.dead_letter_queue.delayed}
                    </td>
                    <td rowSpan={s.lanes.length}>
                      {Object.entries(s.jobs)
                        .map(([status, n]) => `${status} ${n}`)
                        .join(', ') || '–'}
                    </td>
                    <td rowSpan={s.lanes.length}>{s.dead_letters}</td>
                    <td rowSpan={s.lanes.length}>{s.throughput.total}</td>
                  </>
                ) : null}
              </tr>
            )),
          )}
        </tbody>
      </table>
      <p class="hint">
        Queue depths count every tenant's messages (no job data); jobs, throughput and dead letters are yours.
        Throughput: {overview.scope?.throughput ?? 'completed stage attempts per minute'}.
        {overview.stages.some((s) => s.lanes.some((l) => l.oldest_age_s !== undefined))
          ? ''
          : ' SQS does not tell the oldest message’s age (see the CloudWatch dashboard).'}
      </p>
      <ThroughputChart overview={overview} />
    </>
  );
}

function Holds(props: { holds: readonly Hold[]; held: readonly Job[]; onChange: () => void }): JSX.Element {
  const { session } = useConsole();
  const [selector, setSelector] = useState('');
  const [ttl, setTtl] = useState('3600');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    const pairs = selector
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const at = p.indexOf('=');
        return at < 0 ? [p, ''] : [p.slice(0, at).trim(), p.slice(at + 1).trim()];
      });
    try {
      await session.jobs.setHold({
        selector: Object.fromEntries(pairs),
        ttl_s: Number(ttl),
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
      });
      setSelector('');
      setReason('');
      props.onChange();
    } catch (e) {
      setError(e);
    }
  };
  const clear = async (id: string): Promise<void> => {
    setError(undefined);
    try {
      await session.jobs.clearHold(id);
      props.onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <form class="hold-form" aria-label="Set a hold" onSubmit={(e) => void submit(e)}>
        <label>
          Selector
          <input
            name="selector"
            required
            value={selector}
            placeholder="customer=acme, region=eu"
            onInput={(e) => setSelector(e.currentTarget.value)}
          />
        </label>
        <label>
          TTL (s)
          <input
            name="ttl"
            type="number"
            min={1}
            required
            value={ttl}
            onInput={(e) => setTtl(e.currentTarget.value)}
          />
        </label>
        <label>
          Reason
          <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button type="submit">Set hold</button>
      </form>
      <ErrorBox error={error} title="The API refused" />
      {props.holds.length === 0 ? (
        <p class="empty">No holds.</p>
      ) : (
        <table class="holds">
          <thead>
            <tr>
              <th scope="col">Selector</th>
              <th scope="col">Until</th>
              <th scope="col">Reason</th>
              <th scope="col">Jobs held</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.holds.map((hold) => {
              const held = props.held.filter((job) => job.held_by === hold.hold_id);
              const text = Object.entries(hold.selector)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ');
              return (
                <tr key={hold.hold_id} data-hold-id={hold.hold_id}>
                  <td>
                    <code>{text}</code>
                  </td>
                  <td>{fmtTime(hold.until)}</td>
                  <td>{hold.reason ?? '–'}</td>
                  <td>
                    {held.length === 0
                      ? 'none'
                      : held.map((job) => (
                          <a key={job.job_id} href={`#/jobs/${encodeURIComponent(job.job_id)}`}>
                            <code>{shortId(job.job_id)}</code>{' '}
                          </a>
                        ))}
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void clear(hold.hold_id)}
                      aria-label={`Clear hold ${text}`}
                    >
                      Clear
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

function DeadLetters(props: { letters: readonly DeadLetter[]; onChange: () => void }): JSX.Element {
  const { session } = useConsole();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | undefined>();
  if (props.letters.length === 0) return <p class="empty">No dead letters.</p>;
  const redrive = async (letter: DeadLetter): Promise<void> => {
    setError(undefined);
    try {
      const answer = await session.ops.redrive(letter.dead_letter_id);
      setDone(`Job ${answer.job.job_id} is ${answer.job.status} again at ${answer.job.stage}.`);
      props.onChange();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <ErrorBox error={error} title="Redrive refused" />
      {done === undefined ? null : (
        <p role="status" class="ok">
          {done}
        </p>
      )}
      <table class="letters">
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Stage</th>
            <th scope="col">Job</th>
            <th scope="col">Job now</th>
            <th scope="col">Code</th>
            <th scope="col">Reason</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.letters.map((letter) => (
            <tr key={letter.dead_letter_id}>
              <td>{fmtTime(letter.received_at)}</td>
              <td>
                {letter.pipeline ?? '?'} / {letter.stage ?? '?'}
              </td>
              <td>
                {letter.job_id === undefined ? (
                  '–'
                ) : (
                  <a href={`#/jobs/${encodeURIComponent(letter.job_id)}`}>
                    <code>{shortId(letter.job_id)}</code>
                  </a>
                )}
              </td>
              <td>{letter.job_status === undefined ? '–' : <Status status={letter.job_status} />}</td>
              <td>
                <code>{letter.code}</code>
              </td>
              <td>{letter.reason}</td>
              <td>
                <button
                  type="button"
                  onClick={() => void redrive(letter)}
                  disabled={letter.job_id === undefined}
                >
                  Redrive
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
