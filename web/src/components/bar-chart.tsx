import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { useUplot } from './use-uplot.js';

/** Counts per category as bars, drawn with uPlot's bar paths. */
export function BarChart({ title, labels, values }: { title: string; labels: string[]; values: number[] }) {
  const shape = `${title}|${labels.join('\u0000')}`;
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: {
        x: { time: false, range: [-0.5, labels.length - 0.5] },
        y: { range: (_u, _min, max) => [0, max * 1.1 || 1] },
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
        { label: 'class', value: (_u, i) => (i === null ? '' : (labels[i] ?? '')) },
        {
          label: 'rows',
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
      <div ref={host} role="img" aria-label={`${title}: ${labels.length} classes`} />
    </figure>
  );
}
