import { useMemo } from 'preact/hooks';
import type { EpochRow } from '../api-types.js';
import { LineChart, type Series } from './line-chart.js';

const TRAIN = '#2563eb';
const VALIDATION = '#d97706';

/** Whether the rows are a regression's: errors in the target's units rather than an accuracy. */
export const isRegressionHistory = (rows: EpochRow[]) =>
  rows.length > 0 && rows.every((row) => row.accuracy === null) && rows.some((row) => row.mae !== undefined);

/**
 * Loss and accuracy (a regression: mean absolute error) per epoch, training and validation, as two charts; x
 * counts epochs across both phases.
 */
export function HistoryCharts({ rows }: { rows: EpochRow[] }) {
  const regression = isRegressionHistory(rows);
  const { x, loss, second } = useMemo(() => {
    const pick = (key: keyof EpochRow) => rows.map((row) => (row[key] ?? null) as number | null);
    const series = (train: keyof EpochRow, validation: keyof EpochRow): Series[] => [
      { label: 'train', values: pick(train), color: TRAIN },
      { label: 'validation', values: pick(validation), color: VALIDATION, dash: true },
    ];
    return {
      x: rows.map((_, i) => i + 1),
      loss: series('loss', 'val_loss'),
      second: regression ? series('mae', 'val_mae') : series('accuracy', 'val_accuracy'),
    };
  }, [rows, regression]);
  return (
    <div class="charts">
      <LineChart title="Loss" xLabel="epoch" x={x} series={loss} />
      <LineChart
        title={regression ? 'Mean absolute error' : 'Accuracy'}
        xLabel="epoch"
        x={x}
        series={second}
      />
    </div>
  );
}
