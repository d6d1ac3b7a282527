/** A small live line chart (uPlot): the last points of one series, redrawn in place. */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** The charts show the last five minutes, however few readings there are yet. */
const WINDOW_SECONDS = 300;

/** A canvas knows no CSS: the axes take the page's text colour (light or dark) at each redraw. */
const textColor = (plot: uPlot): string => getComputedStyle(plot.root).color;

const clock = (seconds: number): string => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * The x axis: the five minutes up to the newest reading, or up to now while there is none (the
 * first two seconds of a visit; uPlot then passes null, which would end the axis in 1970).
 */
export function timeWindow(newest: number | null, nowSeconds: number): [number, number] {
  const end = newest ?? nowSeconds;
  return [end - WINDOW_SECONDS, end];
}

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
      scales: {
        x: { time: true, range: (_u, _min, max) => timeWindow(max, Date.now() / 1000) },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] },
      },
      axes: [
        // One line of labels: a tick a minute as hh:mm.
        { stroke: textColor, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { show: false }, incrs: [60, 120, 300], values: (_u, splits) => splits.map(clock) },
        { stroke: textColor, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { show: false }, size: 50 },
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
  const peak = Math.max(0, ...values);
  const rate = (value: number) => value.toFixed(value < 10 ? 1 : 0);
  return html`<figure class="chart">
    <figcaption>${label}: <strong>${rate(latest)}</strong> ${unit} <span class="note" data-peak>· peak ${rate(peak)} ${unit}</span></figcaption>
    <div ref=${box} role="img" aria-label=${`${label} over the last minutes`}></div>
  </figure>`;
}
