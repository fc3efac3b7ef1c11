import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { QueuesOverview } from '../../../lib/client/ops.js';
import { axis, mount, PALETTE, theme } from './base.js';

/** Completed stage attempts per minute over the window, one line per stage. */
export function ThroughputChart(props: { overview: QueuesOverview }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const { overview } = props;
  useEffect(() => {
    const el = ref.current;
    if (el === null) return undefined;
    const t = theme();
    const n = overview.window_minutes;
    const xs = Array.from({ length: n }, (_, i) => i - n + 1);
    const stages = overview.stages;
    const chart = mount(
      el,
      {
        height: 200,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [axis(t, { label: 'minutes ago' }), axis(t, { label: 'completed / min', size: 60 })],
        series: [
          { label: 'minute' },
          ...stages.map(
            (s, i): uPlot.Series => ({
              label: `${s.pipeline}/${s.stage}`,
              stroke: PALETTE[i % PALETTE.length],
              width: 1.5,
              dash: i % 2 === 0 ? undefined : [5, 3],
              points: { show: true, size: 5 },
              paths: uPlot.paths.stepped?.({ align: 1 }),
            }),
          ),
        ],
      },
      [xs, ...stages.map((s) => s.throughput.per_minute.slice(-n))],
    );
    return () => chart.destroy();
  }, [overview]);
  return (
    <figure class="plot">
      <div ref={ref} />
      <figcaption>Completed stage attempts per minute (your jobs)</figcaption>
    </figure>
  );
}
