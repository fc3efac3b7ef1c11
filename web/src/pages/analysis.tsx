import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { OmaClient } from '../../../lib/client/oma.js';
import type { AnalysisRecord } from '../oma-types.js';
import { renderResults } from '../plots/render.js';
import { type PlotResult, readResult, type Spectrum, spectrumOf } from '../plots/results.js';
import { ErrorBox, fmtTime, Status, useConsole, useLive, useLoad } from '../ui.js';
import { analysisStatus } from './structures.js';

/**
 * An SSI result carries no spectrum of its own; the stabilization diagram is drawn over the first
 * singular value of the same dataset when an FDD analysis of the structure computed it (the most
 * recent DONE one on the same dataset).
 */
export async function companionSpectrum(
  oma: OmaClient,
  analysis: AnalysisRecord,
): Promise<Spectrum | undefined> {
  if (analysis.dataset_key === undefined) return undefined;
  const fdd = (await oma.listAnalyses(analysis.structure_id))
    .filter((a) => a.type === 'FDD' && a.status === 'DONE' && a.dataset_key === analysis.dataset_key)
    .sort((a, b) => (b.finished_at ?? '').localeCompare(a.finished_at ?? ''))[0];
  if (fdd === undefined) return undefined;
  const results = await oma.results(fdd.structure_id, fdd.analysis_id);
  return spectrumOf(
    Reflect.get(results.result ?? {}, 'singularValues'),
    `FDD analysis '${fdd.name ?? fdd.analysis_id}' of the same dataset`,
  );
}

interface Loaded {
  readonly analysis: AnalysisRecord;
  readonly result: PlotResult | undefined;
  readonly spectrum: Spectrum | undefined;
  readonly truncated: boolean;
}

export function AnalysisPage(props: { structureId: string; analysisId: string }): JSX.Element {
  const { session } = useConsole();
  const { structureId: sid, analysisId: aid } = props;
  const data = useLoad(async (): Promise<Loaded> => {
    const analysis = await session.oma.getAnalysis(sid, aid);
    if (analysis.status !== 'DONE' || analysis.type === 'PREPROCESSING') {
      return { analysis, result: undefined, spectrum: undefined, truncated: false };
    }
    const answer = await session.oma.results(sid, aid);
    let raw: unknown = answer.result;
    if (raw === null && answer.download_url !== undefined)
      raw = await (await fetch(answer.download_url)).json();
    const result = readResult(raw);
    const spectrum =
      result !== undefined && result.spectrum === undefined && result.poles !== undefined
        ? await companionSpectrum(session.oma, analysis).catch(() => undefined)
        : undefined;
    return { analysis, result, spectrum, truncated: answer.truncated === true };
  }, [sid, aid, session]);
  useLive((message) => {
    const status = analysisStatus(message);
    if (status?.analysisId === aid && status.structureId === sid) data.reload();
  });
  const plots = useRef<HTMLDivElement>(null);
  const loaded = data.value;
  useEffect(() => {
    const root = plots.current;
    if (root === null || loaded?.result === undefined) return undefined;
    root.replaceChildren();
    const dispose = renderResults(root, loaded.result, {
      fileBase: `${sid}-${loaded.analysis.name ?? aid}`.replace(/[^A-Za-z0-9._-]+/g, '-'),
      spectrum: loaded.spectrum,
    });
    return () => {
      dispose();
      root.replaceChildren();
    };
  }, [loaded, sid, aid]);
  if (loaded === undefined)
    return data.error === undefined ? (
      <p class="loading">Loading analysis…</p>
    ) : (
      <ErrorBox error={data.error} />
    );
  const a = loaded.analysis;
  return (
    <section aria-labelledby="analysis-title">
      <p class="crumbs">
        <a href="#/oma">OMA</a> / <a href={`#/oma/${encodeURIComponent(sid)}`}>{sid}</a> / analysis
      </p>
      <h1 id="analysis-title">
        {a.type} analysis {a.name ?? a.analysis_id} <Status status={a.status} />
      </h1>
      <dl class="facts">
        <dt>Analysis id</dt>
        <dd>
          <code>{a.analysis_id}</code>
        </dd>
        <dt>Run</dt>
        <dd>
          {a.run_id === undefined ? (
            '–'
          ) : (
            <a href={`#/jobs/${encodeURIComponent(a.run_id)}`}>job {a.run_id.slice(0, 8)}…</a>
          )}{' '}
          (run {a.run_number})
        </dd>
        <dt>Parameters</dt>
        <dd>
          <code>{JSON.stringify(a.parameters)}</code>
        </dd>
        <dt>Finished</dt>
        <dd>{fmtTime(a.finished_at)}</dd>
      </dl>
      {a.error === undefined ? null : (
        <div class="error" role="alert">
          <strong>{a.error.code}</strong>: {a.error.message}
        </div>
      )}
      <ErrorBox error={data.error} />
      {loaded.truncated ? (
        <p class="hint">The result was too large to inline; it was read from its download URL.</p>
      ) : null}
      {a.status === 'DONE' && loaded.result === undefined && a.type !== 'PREPROCESSING' ? (
        <p class="hint">The results could not be read.</p>
      ) : null}
      <p class="hint">
        Report for filing:{' '}
        <code>
          stagecoach oma report {sid} {aid} -o report.html
        </code>
      </p>
      <div class="results" ref={plots} />
    </section>
  );
}
