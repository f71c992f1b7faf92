import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 240;

/**
 * A uPlot chart in the element the returned ref is put on, as wide as it is, fed new data without being built
 * again (a live job's curves grow in place). `shape` names the options: a new one builds a new chart.
 */
export function useUplot(
  options: Omit<uPlot.Options, 'width' | 'height'>,
  data: uPlot.AlignedData,
  shape: string,
) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = new uPlot({ ...options, width: element.clientWidth || 300, height: HEIGHT }, data, element);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: element.clientWidth || 300, height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Built once per shape; data comes in through the effect below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return host;
}
