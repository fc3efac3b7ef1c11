import uPlot from 'uplot';
import { axis, logValues, mount, PALETTE, positive, theme } from './base.js';
import type { PlotResult, Pole, Spectrum } from './results.js';

/**
 * The stabilization diagram: every pole by model order (right axis) and frequency, over the first
 * singular value (left axis, log) when a spectrum is at hand. Unstable poles are small hollow
 * rings, stable ones filled dots, the stable poles that were clustered into a mode larger filled
 * diamonds-by-size in the accent colour, and each identified mode a numbered dashed line — so the
 * marks read without colour. The container gets `data-marked-modes`, `data-poles`, `data-stable`.
 */

/** A points-only series table [x, y] sorted by x, one pole per x (ties nudged by a hair). */
function table(poles: readonly Pole[]): uPlot.AlignedData {
  const sorted = [...poles].sort((a, b) => a.frequency - b.frequency || a.order - b.order);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of sorted) {
    const last = xs[xs.length - 1];
    xs.push(last !== undefined && p.frequency <= last ? last + 1e-9 : p.frequency);
    ys.push(p.order);
  }
  return [xs, ys];
}

export function drawStabilization(
  container: HTMLElement,
  result: PlotResult,
  spectrum: Spectrum | undefined,
): uPlot {
  const t = theme();
  const poles = result.poles ?? [];
  const unstable = poles.filter((p) => !p.stable);
  const stable = poles.filter((p) => p.stable && p.mode < 0);
  const clustered = poles.filter((p) => p.stable && p.mode >= 0);
  const tables: uPlot.AlignedData[] = [];
  const series: uPlot.Series[] = [{ label: 'f [Hz]', value: (_u, v) => (v == null ? '–' : v.toFixed(3)) }];
  if (spectrum !== undefined) {
    tables.push([spectrum.frequencies.slice(), positive(spectrum.values[0] ?? [])]);
    series.push({
      label: `σ1${spectrum.source === undefined ? '' : ` (${spectrum.source})`}`,
      scale: 'sv',
      stroke: t.muted,
      width: 1.2,
      spanGaps: true,
      points: { show: false },
      value: (_u, v) => (v == null ? '–' : v.toExponential(2)),
    });
  }
  const poleSeries = (label: string, stroke: string, fill: string, size: number): uPlot.Series => ({
    label,
    scale: 'order',
    stroke,
    paths: () => null,
    points: { show: true, size, width: 1.4, stroke, fill },
    value: (_u, v) => (v == null ? '–' : `order ${v}`),
  });
  tables.push(table(unstable), table(stable), table(clustered));
  series.push(
    poleSeries(`unstable poles (${unstable.length})`, t.muted, t.bg, 5),
    poleSeries(`stable poles (${stable.length})`, PALETTE[0] ?? t.fg, PALETTE[0] ?? t.fg, 5),
    poleSeries(`stable poles of a mode (${clustered.length})`, t.accent, t.accent, 7),
  );
  const xs = [...poles.map((p) => p.frequency), ...(spectrum?.frequencies ?? [])];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const marked = result.modes.filter((m) => m.frequency >= lo && m.frequency <= hi);
  container.dataset.markedModes = String(marked.length);
  container.dataset.poles = String(poles.length);
  container.dataset.stable = String(stable.length + clustered.length);
  const maxOrder = Math.max(2, ...poles.map((p) => p.order));
  const modeLines = (u: uPlot): void => {
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = t.accent;
    ctx.fillStyle = t.fg;
    ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    ctx.lineWidth = uPlot.pxRatio;
    ctx.font = `bold ${Math.round(11 * uPlot.pxRatio)}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const m of marked) {
      const x = u.valToPos(m.frequency, 'x', true);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(String(m.index + 1), x, u.bbox.top + 2 * uPlot.pxRatio);
    }
    ctx.restore();
  };
  return mount(
    container,
    {
      height: 420,
      scales: {
        x: { time: false },
        order: { range: [0, maxOrder + 2] },
        ...(spectrum === undefined ? {} : { sv: { distr: 3 } }),
      },
      axes: [
        axis(t, { label: 'frequency [Hz]' }),
        ...(spectrum === undefined
          ? [axis(t, { scale: 'order', label: 'model order', size: 60 })]
          : [
              axis(t, { scale: 'sv', label: 'first singular value', size: 70, values: logValues }),
              axis(t, { scale: 'order', label: 'model order', side: 1, size: 60, grid: { show: false } }),
            ]),
      ],
      series,
      cursor: { focus: { prox: 12 } },
      hooks: { draw: [modeLines] },
    },
    uPlot.join(tables),
  );
}
