import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { useUplot } from './use-uplot.js';

/** What the legend calls a bar and its value, and the bars together (read aloud). */
export interface BarNames {
  item: string;
  items: string;
  value: string;
}

const CLASS_COUNTS: BarNames = { item: 'class', items: 'classes', value: 'rows' };

/** A value per category as bars (a class's rows by default), drawn with uPlot's bar paths; null draws none. */
export function BarChart({
  title,
  labels,
  values,
  names = CLASS_COUNTS,
}: {
  title: string;
  labels: string[];
  values: Array<number | null>;
  names?: BarNames;
}) {
  const shape = `${title}|${labels.join('\u0000')}`;
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: {
        x: { time: false, range: [-0.5, labels.length - 0.5] },
        // From 0, or below it for a negative value (an R² can be).
        y: { range: (_u, min, max) => [Math.min(0, min), Math.max(0, max) * 1.1 || 1] },
      },
      axes: [
        {
          splits: () => labels.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
          rotate: labels.length > 12 ? -45 : 0,
        },
        {},
      ],
      series: [
        { label: names.item, value: (_u, i) => (i === null ? '' : (labels[i] ?? '')) },
        {
          label: names.value,
          fill: 'rgba(37, 99, 235, 0.6)',
          stroke: 'rgb(37, 99, 235)',
          paths: uPlot.paths.bars!({ size: [0.7, 80] }),
          points: { show: false },
        },
      ],
    }),
    [shape],
  );
  const data = useMemo<uPlot.AlignedData>(() => [labels.map((_, i) => i), values], [labels, values]);
  const host = useUplot(options, data, shape);
  return (
    <figure class="chart" data-points={values.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}: ${labels.length} ${names.items}`} />
    </figure>
  );
}
