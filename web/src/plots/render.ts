import type uPlot from 'uplot';
import { download, toPng } from './base.js';
import { macSvg, macTable } from './mac.js';
import { modesCsv, type PlotResult, type Spectrum } from './results.js';
import { drawShapes } from './shapes.js';
import { drawSpectrum } from './spectrum.js';
import { drawStabilization } from './stabilization.js';

/**
 * An analysis's results as a page section: spectrum, stabilization diagram, MAC matrix, mode
 * shapes and the mode table, each with its downloads. Plain DOM, so the console and the
 * self-contained report (`stagecoach oma report`) draw exactly the same thing.
 */

export interface RenderOptions {
  /** Prefix of downloaded files, e.g. `bridge-7-ssi-1`. */
  readonly fileBase: string;
  /** The spectrum to draw when the result has none (an SSI result: its dataset's FDD spectrum). */
  readonly spectrum?: Spectrum | undefined;
  /** Whether download buttons are offered (the report keeps them: it runs in a browser too). */
  readonly downloads?: boolean;
}

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const fmt = (v: number | undefined, digits: number, scale = 1): string =>
  v === undefined ? '–' : (v * scale).toFixed(digits);

function figure(
  id: string,
  title: string,
  caption: string,
): { fig: HTMLElement; plot: HTMLDivElement; actions: HTMLElement } {
  const plot = el('div', { className: 'plot-area' });
  plot.setAttribute('role', 'img');
  plot.setAttribute('aria-label', `${title}. ${caption}`);
  const actions = el('div', { className: 'downloads' });
  const fig = el(
    'figure',
    { className: 'plot', id },
    el('h3', {}, title),
    plot,
    el('figcaption', {}, caption),
    actions,
  );
  return { fig, plot, actions };
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button', textContent: label });
  b.addEventListener('click', onClick);
  return b;
}

export function renderResults(root: HTMLElement, result: PlotResult, options: RenderOptions): () => void {
  const charts: uPlot[] = [];
  const offer = options.downloads !== false;
  const png = (chart: uPlot, title: string, name: string) => (): void =>
    void toPng(chart, title).then((blob) => download(`${options.fileBase}-${name}.png`, blob));
  const spectrum = result.spectrum ?? options.spectrum;
  const peaks = result.modes.map((m) => `${m.index + 1}: ${m.frequency.toFixed(3)} Hz`).join('; ');

  if (spectrum !== undefined) {
    const { fig, plot, actions } = figure(
      'spectrum',
      'Singular-value spectrum',
      `${spectrum.values.length} singular values, log scale${spectrum.source === undefined ? '' : `, from ${spectrum.source}`}. Identified modes marked and numbered: ${peaks || 'none'}.`,
    );
    root.append(fig);
    const chart = drawSpectrum(plot, result, spectrum);
    charts.push(chart);
    if (offer) actions.append(button('PNG', png(chart, 'Singular-value spectrum', 'spectrum')));
  }
  if (result.poles !== undefined) {
    const stable = result.poles.filter((p) => p.stable).length;
    const { fig, plot, actions } = figure(
      'stabilization',
      'Stabilization diagram',
      `${result.poles.length} poles, ${stable} stable; ${result.modes.length} modes (dashed, numbered): ${peaks || 'none'}.${spectrum === undefined ? ' No spectrum of this dataset is available to draw beneath.' : ''}`,
    );
    root.append(fig);
    const chart = drawStabilization(plot, result, spectrum);
    charts.push(chart);
    if (offer) actions.append(button('PNG', png(chart, 'Stabilization diagram', 'stabilization')));
  }
  if (result.mac.length > 0) {
    const { fig, plot, actions } = figure(
      'mac',
      'MAC matrix',
      'Values are printed in each cell; darker is closer to 1.',
    );
    plot.removeAttribute('role');
    plot.append(macTable(result));
    root.append(fig);
    if (offer)
      actions.append(
        button('SVG', () => download(`${options.fileBase}-mac.svg`, macSvg(result), 'image/svg+xml')),
      );
  }
  if (result.modes.length > 0 && result.channels.length > 0) {
    const { fig, plot, actions } = figure(
      'shapes',
      'Mode shapes',
      `Per channel (${result.channels.join(', ')}); the API gives no sensor positions, so shapes are drawn along the channels.`,
    );
    root.append(fig);
    const shapes = drawShapes(plot, result);
    charts.push(shapes.chart);
    const toggle = button('Animate', () => {
      const on = toggle.getAttribute('aria-pressed') !== 'true';
      toggle.setAttribute('aria-pressed', String(on));
      shapes.animate(on);
    });
    toggle.setAttribute('aria-pressed', 'false');
    actions.append(toggle);
    if (offer) actions.append(button('PNG', png(shapes.chart, 'Mode shapes', 'shapes')));
  }
  root.append(modeTable(result));
  if (offer) {
    root.append(
      el(
        'div',
        { className: 'downloads' },
        button('Modes as CSV', () => download(`${options.fileBase}-modes.csv`, modesCsv(result), 'text/csv')),
        button('Modes as JSON', () =>
          download(
            `${options.fileBase}-modes.json`,
            JSON.stringify(result.modes, null, 2),
            'application/json',
          ),
        ),
      ),
    );
  }
  const notes = [
    ...result.diagnostics.map(
      (d) => `${d.severity === 'warning' ? '⚠' : 'ℹ'} ${d.code}: ${d.message}${d.fix ? ` — ${d.fix}` : ''}`,
    ),
    ...(result.diagnostics.length > 0 ? [] : result.warnings.map((w) => `⚠ ${w}`)),
  ];
  if (notes.length > 0) {
    root.append(
      el('h3', {}, 'Warnings and diagnostics'),
      el('ul', { className: 'notes' }, ...notes.map((n) => el('li', {}, n))),
    );
  }
  return () => {
    for (const chart of charts) chart.destroy();
  };
}

function modeTable(result: PlotResult): HTMLTableElement {
  const hasStd = result.modes.some((m) => m.frequencyStd !== undefined || m.dampingStd !== undefined);
  const hasSpread = result.modes.some((m) => m.spreadFrequency !== undefined);
  const headers = [
    'mode',
    'f [Hz]',
    ...(hasStd ? ['σf [Hz]'] : []),
    'ζ [%]',
    ...(hasStd ? ['σζ [%]'] : []),
    ...(hasSpread ? ['spread over orders [Hz]'] : []),
    'MPC',
    'MPD [°]',
    'notes',
  ];
  const table = el('table', { className: 'modes' });
  table.dataset.modes = String(result.modes.length);
  table.createCaption().textContent = `Identified modes (${result.method.toUpperCase()})`;
  const head = table.createTHead().insertRow();
  for (const h of headers) head.append(el('th', { scope: 'col', textContent: h }));
  const body = table.createTBody();
  const notesOf = (i: number): string =>
    [
      ...(result.modes[i]?.error === undefined ? [] : [result.modes[i]?.error ?? '']),
      ...result.diagnostics.filter((d) => d.mode === i + 1).map((d) => d.code),
    ].join('; ');
  for (const m of result.modes) {
    const row = body.insertRow();
    const cells = [
      String(m.index + 1),
      fmt(m.frequency, 3),
      ...(hasStd ? [fmt(m.frequencyStd, 4)] : []),
      fmt(m.damping, 2, 100),
      ...(hasStd ? [fmt(m.dampingStd, 2, 100)] : []),
      ...(hasSpread ? [fmt(m.spreadFrequency, 4)] : []),
      fmt(m.mpc, 3),
      fmt(m.mpd, 1),
      notesOf(m.index),
    ];
    cells.forEach((text, i) => {
      if (i === 0) row.append(el('th', { scope: 'row', textContent: text }));
      else row.insertCell().textContent = text;
    });
  }
  return table;
}
