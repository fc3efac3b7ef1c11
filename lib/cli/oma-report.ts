import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { OmaClient, type ResultsAnswer } from '../client/oma.js';
import type { AnalysisRecord } from '../pipelines/oma/schemas.js';
import { connectionOf } from './command-kit.js';

/**
 * `stagecoach oma report <structure> <analysis> -o report.html`: one analysis as a single HTML file
 * an engineer can file — its facts, and the console's own plots (spectrum, stabilization diagram,
 * MAC matrix, mode shapes, mode table), drawn by the console's report script, which the file
 * carries with its styles and the result's JSON: it opens anywhere, offline, and stays as it was.
 */

export interface ReportInput {
  readonly analysis: AnalysisRecord;
  readonly results: ResultsAnswer;
  /** The first singular value of the dataset for an SSI result (from an FDD analysis of it). */
  readonly spectrum?: { readonly values: unknown; readonly source: string };
  readonly script: string;
  readonly styles: string;
  readonly generatedAt?: Date;
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** JSON that can sit inside a <script> element (no `</script>` can end it early). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export function buildReport(input: ReportInput): string {
  const { analysis: a, results } = input;
  const title = `${a.type} analysis ${a.name ?? a.analysis_id} of ${a.structure_id}`;
  const facts: [string, string][] = [
    ['Structure', a.structure_id],
    ['Analysis', `${a.analysis_id}${a.name === undefined ? '' : ` (${a.name})`}`],
    ['Method', `${a.type}${results.result === null ? '' : ` — ${results.result.method}`}`],
    ['Status', a.status],
    ['Run', `${a.run_id ?? '–'} (run ${a.run_number})`],
    ['Finished', a.finished_at ?? '–'],
    ['Parameters', JSON.stringify(a.parameters)],
    [
      'Dataset',
      a.dataset === undefined
        ? '–'
        : `${a.dataset.channels} channels × ${a.dataset.samples} samples at ${a.dataset.fs} Hz (${a.dataset.duration_s.toFixed(0)} s)`,
    ],
    ['Report generated', (input.generatedAt ?? new Date()).toISOString()],
  ];
  const data = {
    result: results.result,
    fileBase: `${a.structure_id}-${a.name ?? a.analysis_id}`.replace(/[^A-Za-z0-9._-]+/g, '-'),
    ...(input.spectrum === undefined
      ? {}
      : { spectrum: input.spectrum.values, spectrumSource: input.spectrum.source }),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${input.styles}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<noscript><p>The plots are drawn by the script this file carries; open it in a browser with JavaScript.</p></noscript>
<div class="results" id="results"></div>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${input.script.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

/** For an SSI result: the first singular value of the same dataset, from its latest FDD analysis. */
async function companionSpectrum(
  client: OmaClient,
  analysis: AnalysisRecord,
): Promise<ReportInput['spectrum'] | undefined> {
  if (analysis.dataset_key === undefined) return undefined;
  const fdd = (await client.listAnalyses(analysis.structure_id))
    .filter((x) => x.type === 'FDD' && x.status === 'DONE' && x.dataset_key === analysis.dataset_key)
    .sort((x, y) => (y.finished_at ?? '').localeCompare(x.finished_at ?? ''))[0];
  if (fdd === undefined) return undefined;
  const result = (await client.results(fdd.structure_id, fdd.analysis_id)).result;
  const values = result === null ? undefined : Reflect.get(result, 'singularValues');
  return values === undefined
    ? undefined
    : { values, source: `FDD analysis '${fdd.name ?? fdd.analysis_id}' of the same dataset` };
}

/** `oma report`: fetches the analysis and its results and writes the report. */
export async function writeReport(
  structure: string,
  analysisId: string,
  flags: { readonly output: string },
  command: Command,
): Promise<number> {
  const client = new OmaClient(connectionOf(command));
  const analysis = await client.getAnalysis(structure, analysisId);
  const results = await client.results(structure, analysisId);
  if (results.result === null && results.download_url !== undefined) {
    const full: unknown = await (await fetch(results.download_url)).json();
    Object.assign(results, { result: Reflect.get(Object(full), 'method') === undefined ? null : full });
  }
  // Loaded when the command runs (the entry keeps lib/dev out of every other command).
  const { consoleDir } = await import('../dev/console-files.js');
  const dir = consoleDir();
  if (dir === undefined) throw new Error('the console is not built (web/dist); run npm run build');
  const [script, styles] = await Promise.all([
    readFile(join(dir, 'report.js'), 'utf8'),
    readFile(join(dir, 'report.css'), 'utf8'),
  ]);
  const needsSpectrum =
    results.result !== null && Reflect.get(results.result, 'singularValues') === undefined;
  const spectrum = needsSpectrum ? await companionSpectrum(client, analysis) : undefined;
  const html = buildReport({
    analysis,
    results,
    script,
    styles,
    ...(spectrum === undefined ? {} : { spectrum }),
  });
  await writeFile(flags.output, html);
  console.log(
    `wrote ${flags.output} (${(html.length / 1024).toFixed(0)} KiB): ${results.result?.modes.length ?? 0} modes of ${analysis.type} analysis ${analysis.name ?? analysis.analysis_id}`,
  );
  return 0;
}
