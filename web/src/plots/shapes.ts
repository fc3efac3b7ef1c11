import type uPlot from 'uplot';
import { axis, mount, PALETTE, theme } from './base.js';
import type { PlotResult } from './results.js';

/**
 * Mode shapes per channel: one line with markers per mode (dash and marker size vary with the
 * mode, not only the colour). The analyses API gives channel names but no sensor positions, so
 * the deflection is drawn along the channels, and `animate` swings it (cos ωt) like PyOMA2's
 * animated shapes — off unless asked for, and never with prefers-reduced-motion.
 */
export function drawShapes(
  container: HTMLElement,
  result: PlotResult,
): { chart: uPlot; animate: (on: boolean) => void } {
  const t = theme();
  const xs = result.channels.map((_, i) => i);
  const shapes = result.modes.map((m) => result.channels.map((_, i) => m.shape[i] ?? null));
  const series: uPlot.Series[] = [
    { label: 'channel', value: (_u, v) => (v == null ? '–' : (result.channels[v] ?? String(v))) },
    ...result.modes.map(
      (m, i): uPlot.Series => ({
        label: `mode ${m.index + 1} (${m.frequency.toFixed(2)} Hz)`,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.6,
        dash: i % 2 === 0 ? undefined : [6, 4],
        points: { show: true, size: 6 + (i % 3) * 2 },
        value: (_u, v) => (v == null ? '–' : v.toFixed(3)),
      }),
    ),
  ];
  container.dataset.modes = String(result.modes.length);
  const chart = mount(
    container,
    {
      height: 300,
      scales: {
        x: { time: false, range: [-0.3, Math.max(1, xs.length - 1) + 0.3] },
        y: { range: [-1.15, 1.15] },
      },
      axes: [
        axis(t, {
          label: 'channel',
          splits: () => xs,
          values: (_u, splits) => splits.map((v) => result.channels[v] ?? ''),
        }),
        axis(t, { label: 'shape (unit max)', size: 60 }),
      ],
      series,
    },
    [xs, ...shapes],
  );
  let frame = 0;
  let running = false;
  const step = (now: number): void => {
    if (!running) return;
    const c = Math.cos((2 * Math.PI * now) / 1_600);
    chart.setData([xs, ...shapes.map((shape) => shape.map((v) => (v === null ? null : v * c)))], false);
    frame = requestAnimationFrame(step);
  };
  const animate = (on: boolean): void => {
    const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches === true;
    running = on && !reduced;
    cancelAnimationFrame(frame);
    if (running) frame = requestAnimationFrame(step);
    else chart.setData([xs, ...shapes], false);
  };
  return { chart, animate };
}
