/** A small live line chart (uPlot): the last points of one series, redrawn in place. */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartProps {
  label: string;
  /** Seconds since the epoch. */
  times: number[];
  values: number[];
  unit: string;
}

export function Chart({ label, times, values, unit }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = box.current!;
    const width = () => Math.max(200, element.clientWidth);
    plot.current = new uPlot({
      width: width(),
      height: 120,
      legend: { show: false },
      cursor: { show: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { show: false } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { show: false }, size: 50 },
      ],
      series: [{}, { label, stroke: '#2f7fd0', fill: 'rgba(47,127,208,0.15)', width: 2, points: { show: false } }],
    }, [[], []], element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 120 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData([times, values]);
  }, [times, values]);
  const latest = values.length > 0 ? values[values.length - 1]! : 0;
  return html`<figure class="chart">
    <figcaption>${label}: <strong>${latest.toFixed(latest < 10 ? 1 : 0)}</strong> ${unit}</figcaption>
    <div ref=${box} role="img" aria-label=${`${label} over the last minutes`}></div>
  </figure>`;
}
