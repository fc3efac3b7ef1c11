import uPlot from 'uplot';

/**
 * What every chart shares: colours from the page's theme (CSS variables, so light and dark both
 * read), the Okabe–Ito palette (safe for colour-blind readers; series also differ by marker and
 * dash), a size that follows the container, and export to PNG.
 */

export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#8C6D00',
  '#999999',
];

export interface Theme {
  readonly fg: string;
  readonly muted: string;
  readonly grid: string;
  readonly bg: string;
  readonly accent: string;
}

export function theme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const get = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    fg: get('--fg', '#1b1f24'),
    muted: get('--muted', '#57606a'),
    grid: get('--grid', '#d0d7de'),
    bg: get('--bg', '#ffffff'),
    accent: get('--accent', '#D55E00'),
  };
}

export function axis(t: Theme, extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    stroke: t.fg,
    grid: { stroke: t.grid, width: 1 },
    ticks: { stroke: t.grid, width: 1 },
    ...extra,
  };
}

/** Tick labels of a log axis: 1e-6, 1e-5 … (uPlot's default rounds small values to 0). */
export const logValues = (_u: uPlot, splits: number[]): string[] =>
  splits.map((v) => (v == null ? '' : v.toExponential(0)));

/** Creates the chart at the container's width and keeps it so. */
export function mount(
  container: HTMLElement,
  options: Omit<uPlot.Options, 'width'>,
  data: uPlot.AlignedData,
): uPlot {
  const width = (): number => Math.max(320, Math.floor(container.clientWidth || 720));
  const chart = new uPlot({ ...options, width: width() }, data, container);
  if (typeof ResizeObserver !== 'undefined') {
    const observer = new ResizeObserver(() => {
      if (!container.isConnected) {
        observer.disconnect();
        return;
      }
      if (Math.abs(width() - chart.width) > 4) chart.setSize({ width: width(), height: chart.height });
    });
    observer.observe(container);
  }
  return chart;
}

/** Labels drawn beside points, in the chart's own canvas (so PNG export keeps them). */
export function drawLabels(
  u: uPlot,
  labels: readonly { x: number; y: number; text: string }[],
  scaleY: string,
  color: string,
): void {
  const { ctx } = u;
  ctx.save();
  ctx.fillStyle = color;
  ctx.font = `${Math.round(11 * uPlot.pxRatio)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  for (const label of labels) {
    const x = u.valToPos(label.x, 'x', true);
    const y = u.valToPos(label.y, scaleY, true);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ctx.fillText(label.text, x, y - 6 * uPlot.pxRatio);
  }
  ctx.restore();
}

/** The chart as a PNG: its canvas (axes, series, labels) on the theme's background, with a title. */
export function toPng(u: uPlot, title: string): Promise<Blob> {
  const t = theme();
  const source = u.ctx.canvas;
  const pad = Math.round(28 * uPlot.pxRatio);
  const legend = u.series.slice(1).filter((s) => s.show !== false && typeof s.label === 'string');
  const legendHeight = Math.round(18 * uPlot.pxRatio) * Math.ceil(legend.length / 4);
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height + pad + legendHeight;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return Promise.reject(new Error('no 2D canvas'));
  ctx.fillStyle = t.bg;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = t.fg;
  ctx.font = `bold ${Math.round(14 * uPlot.pxRatio)}px system-ui, sans-serif`;
  ctx.fillText(title, 8 * uPlot.pxRatio, pad * 0.7);
  ctx.drawImage(source, 0, pad);
  ctx.font = `${Math.round(12 * uPlot.pxRatio)}px system-ui, sans-serif`;
  legend.forEach((s, i) => {
    const x = (i % 4) * (canvas.width / 4) + 8 * uPlot.pxRatio;
    const y = source.height + pad + Math.floor(i / 4) * 18 * uPlot.pxRatio + 14 * uPlot.pxRatio;
    const stroke = typeof s.stroke === 'string' ? s.stroke : t.fg;
    ctx.fillStyle = stroke;
    ctx.fillRect(x, y - 9 * uPlot.pxRatio, 12 * uPlot.pxRatio, 4 * uPlot.pxRatio);
    ctx.fillStyle = t.fg;
    ctx.fillText(String(s.label), x + 18 * uPlot.pxRatio, y);
  });
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob === null ? reject(new Error('PNG export failed')) : resolve(blob)),
      'image/png',
    ),
  );
}

export function download(name: string, content: Blob | string, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/** Positive values for a log scale (a singular value of 0 or below is not drawable). */
export const positive = (values: readonly (number | null)[]): (number | null)[] =>
  values.map((v) => (v !== null && v > 0 ? v : null));

/** The value of `ys` at the grid line nearest `x` (xs ascending). */
export function nearest(xs: readonly number[], ys: readonly (number | null)[], x: number): number | null {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? 0) < x) lo = mid;
    else hi = mid;
  }
  const pick = Math.abs((xs[lo] ?? 0) - x) <= Math.abs((xs[hi] ?? 0) - x) ? lo : hi;
  return ys[pick] ?? null;
}
