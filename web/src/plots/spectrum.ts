import uPlot from 'uplot';
import { axis, drawLabels, logValues, mount, nearest, PALETTE, positive, theme } from './base.js';
import type { PlotResult, Spectrum } from './results.js';

/**
 * The singular-value spectrum (PyOMA2's "CMIF"): every singular value of the spectral matrix
 * against frequency on a log scale, the identified modes marked on the first one and numbered.
 * The container gets `data-marked-modes` (how many were marked) for whoever checks the drawing.
 */
export function drawSpectrum(container: HTMLElement, result: PlotResult, spectrum: Spectrum): uPlot {
  const t = theme();
  const xs = spectrum.frequencies;
  const first = spectrum.values[0] ?? [];
  const fmax = xs[xs.length - 1] ?? 0;
  const marked = result.modes.filter((m) => m.frequency >= (xs[0] ?? 0) && m.frequency <= fmax);
  const peaks = marked.map((m) => ({
    x: m.frequency,
    y: nearest(xs, first, m.frequency),
    text: String(m.index + 1),
  }));
  const peakTable: uPlot.AlignedData = [
    peaks.map((p) => p.x),
    peaks.map((p) => (p.y !== null && p.y > 0 ? p.y : null)),
  ];
  const data = uPlot.join([[xs.slice(), ...spectrum.values.map(positive)], peakTable]);
  const series: uPlot.Series[] = [
    { label: 'f [Hz]', value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
    ...spectrum.values.map(
      (_, i): uPlot.Series => ({
        label: `σ${i + 1}`,
        stroke: PALETTE[i % PALETTE.length],
        width: i === 0 ? 1.6 : 1,
        dash: i === 0 ? undefined : [4 + 2 * i, 3],
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => (v == null ? '–' : v.toExponential(2)),
      }),
    ),
    {
      label: 'identified modes',
      stroke: t.accent,
      fill: t.accent,
      paths: () => null,
      points: { show: true, size: 9, width: 2, stroke: t.accent, fill: t.bg },
      value: (_u, v) => (v == null ? '–' : v.toExponential(2)),
    },
  ];
  container.dataset.markedModes = String(peaks.length);
  container.dataset.singularValues = String(spectrum.values.length);
  return mount(
    container,
    {
      height: 340,
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [
        axis(t, { label: 'frequency [Hz]' }),
        axis(t, { label: 'singular value', size: 70, values: logValues }),
      ],
      series,
      cursor: { focus: { prox: 16 } },
      hooks: {
        draw: [
          (u) =>
            drawLabels(
              u,
              peaks.flatMap((p) => (p.y === null ? [] : [{ ...p, y: p.y }])),
              'y',
              t.fg,
            ),
        ],
      },
    },
    data,
  );
}
