import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { JobSchema, pageOf } from '../../../lib/client/jobs.js';
import type { LiveMessage } from '../../../lib/client/live.js';
import type { AnalysisRecord } from '../oma-types.js';
import { ErrorBox, fmtTime, Progress, Status, useConsole, useLive, useLoad } from '../ui.js';

/** The analysis status of a live message (`oma.analysis.status` service events), if it is one. */
export function analysisStatus(
  message: LiveMessage,
): { structureId: string; analysisId: string; status: string; runId?: string } | undefined {
  if (message.type !== 'service' || message.event.type !== 'oma.analysis.status') return undefined;
  const d = message.event.detail;
  if (typeof d !== 'object' || d === null) return undefined;
  const get = (k: string): unknown => Reflect.get(d, k);
  const [structureId, analysisId, status, runId] = [
    get('structure_id'),
    get('document_id'),
    get('status'),
    get('run_id'),
  ];
  if (typeof structureId !== 'string' || typeof analysisId !== 'string' || typeof status !== 'string')
    return undefined;
  return { structureId, analysisId, status, ...(typeof runId === 'string' ? { runId } : {}) };
}

/**
 * The tenant's structures. The analyses API has no listing of structures, so they are found
 * where they show: in the params of the tenant's `oma` jobs (every run names its structure), and
 * any other can be opened by its id.
 */
export function StructuresPage(): JSX.Element {
  const { session } = useConsole();
  const [open, setOpen] = useState('');
  const structures = useLoad(async () => {
    const seen = new Map<string, string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = `/jobs?pipeline=oma&limit=200${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await session.api.call('GET', q, pageOf(JobSchema));
      for (const job of page.items) {
        const sid = job.params.structure_id;
        if (typeof sid === 'string' && !seen.has(sid)) seen.set(sid, job.created_at);
      }
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 5);
    return [...seen.entries()];
  }, [session]);
  useLive((message) => {
    const status = analysisStatus(message);
    if (status !== undefined && !(structures.value ?? []).some(([sid]) => sid === status.structureId))
      structures.reload();
  });
  return (
    <section aria-labelledby="oma-title">
      <h1 id="oma-title">OMA structures</h1>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (open.trim() !== '') window.location.hash = `#/oma/${encodeURIComponent(open.trim())}`;
        }}
      >
        <label>
          Structure id{' '}
          <input value={open} onInput={(e) => setOpen(e.currentTarget.value)} placeholder="bridge-7" />
        </label>
        <button type="submit">Open</button>
      </form>
      <ErrorBox error={structures.error} />
      {structures.value === undefined ? null : structures.value.length === 0 ? (
        <p class="empty">No analysis has run yet; create one with `stagecoach oma create`.</p>
      ) : (
        <ul class="structures">
          {structures.value.map(([sid, last]) => (
            <li key={sid}>
              <a href={`#/oma/${encodeURIComponent(sid)}`}>{sid}</a>{' '}
              <span class="hint">last run {fmtTime(last)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A structure: its reusable dataset and its analyses, with statuses and progress kept live. */
export function StructurePage(props: { structureId: string }): JSX.Element {
  const { session } = useConsole();
  const sid = props.structureId;
  const data = useLoad(
    () => Promise.all([session.oma.structure(sid), session.oma.listAnalyses(sid)]),
    [sid, session],
  );
  const [live, setLive] = useState<Record<string, string>>({});
  const [progress, setProgress] = useState<Record<string, { stage: string; percent: number }>>({});
  useLive((message) => {
    const status = analysisStatus(message);
    if (status !== undefined && status.structureId === sid) {
      setLive((s) => ({ ...s, [status.analysisId]: status.status }));
      if (['DONE', 'ERROR', 'ABORTED'].includes(status.status)) data.reload();
      return;
    }
    if (message.type === 'event' && message.event.type === 'stage.progress') {
      const percent = typeof message.event.data?.percent === 'number' ? message.event.data.percent : 0;
      setProgress((p) => ({ ...p, [message.event.job_id]: { stage: message.event.stage, percent } }));
    }
  });
  const [dataset, analyses] = data.value ?? [undefined, []];
  return (
    <section aria-labelledby="structure-title">
      <p class="crumbs">
        <a href="#/oma">OMA</a> / structure
      </p>
      <h1 id="structure-title">Structure {sid}</h1>
      <ErrorBox error={data.error} />
      <p>
        {dataset?.dataset === null || dataset === undefined
          ? 'No preprocessed dataset yet.'
          : `Dataset: ${dataset.dataset.dataset.channels} channels × ${dataset.dataset.dataset.samples} samples at ${dataset.dataset.dataset.fs} Hz (${dataset.dataset.dataset.duration_s.toFixed(0)} s), reused by FDD and SSI analyses.`}
      </p>
      <table class="analyses">
        <caption class="sr-only">Analyses of {sid}</caption>
        <thead>
          <tr>
            <th scope="col">Analysis</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Modes</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {analyses.map((a: AnalysisRecord) => {
            const status = live[a.analysis_id] ?? a.status;
            const p = a.run_id === undefined ? undefined : progress[a.run_id];
            return (
              <tr key={a.analysis_id} data-analysis-id={a.analysis_id}>
                <td>
                  <a href={`#/oma/${encodeURIComponent(sid)}/${encodeURIComponent(a.analysis_id)}`}>
                    {a.name ?? a.analysis_id}
                  </a>
                </td>
                <td>{a.type}</td>
                <td>
                  <Status status={status} />
                </td>
                <td>
                  {status === 'RUNNING' && p !== undefined ? (
                    <Progress percent={p.percent} label={p.stage} />
                  ) : null}
                </td>
                <td>{a.summary?.modes.length ?? '–'}</td>
                <td>{fmtTime(a.updated_at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
