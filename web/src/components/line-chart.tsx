import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { useUplot } from './use-uplot.js';

export interface Series {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: boolean;
}

/**
 * Curves over a shared x axis (epochs), drawn by uPlot. `data-points` on the figure says how many x values it
 * has, for anyone checking that it grows.
 */
export function LineChart({
  title,
  xLabel,
  x,
  series,
}: {
  title: string;
  xLabel: string;
  x: number[];
  series: Series[];
}) {
  const shape = `${title}|${series.map((s) => s.label).join(',')}`;
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: false } },
      // Whole epochs only on the x axis.
      axes: [{ label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, {}],
      series: [
        { label: xLabel },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash ? [6, 4] : undefined,
          points: { show: true, size: 5 },
          spanGaps: true,
        })),
      ],
      legend: { live: true },
    }),
    [shape],
  );
  const data = useMemo<uPlot.AlignedData>(() => [x, ...series.map((s) => s.values)], [x, series]);
  const host = useUplot(options, data, shape);
  return (
    <figure class="chart" data-points={x.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}: ${x.length} points`} />
    </figure>
  );
}
