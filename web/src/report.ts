import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { renderResults } from './plots/render.js';
import { readResult, spectrumOf } from './plots/results.js';

/**
 * The drawing part of `stagecoach oma report`: the report HTML carries this script, the styles and
 * the analysis's result as JSON, and draws the same plots as the console when opened — no network.
 */
const data: unknown = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}');
const get = (key: string): unknown =>
  typeof data === 'object' && data !== null ? Reflect.get(data, key) : undefined;
const root = document.getElementById('results');
const result = readResult(get('result'));
const companion = get('spectrum');
const source = get('spectrumSource');
if (root !== null && result !== undefined) {
  renderResults(root, result, {
    fileBase: typeof get('fileBase') === 'string' ? String(get('fileBase')) : 'analysis',
    spectrum: spectrumOf(companion, typeof source === 'string' ? source : undefined),
  });
}
