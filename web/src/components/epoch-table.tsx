import type { EpochRow } from '../api-types.js';
import { formatNumber, formatPercent } from '../format.js';
import { isRegressionHistory } from './history-charts.js';

/** The best epoch: lowest validation loss where there is validation, else lowest training loss. */
export function bestEpoch(rows: EpochRow[]): number {
  const withValidation = rows.some((row) => row.val_loss !== null);
  let best = -1;
  let bestLoss = Infinity;
  rows.forEach((row, i) => {
    const loss = withValidation ? row.val_loss : row.loss;
    if (loss !== null && loss < bestLoss) {
      bestLoss = loss;
      best = i;
    }
  });
  return best;
}

/** One row per epoch, the best one marked; a regression's show its errors where a classifier's show accuracy. */
export function EpochTable({ rows }: { rows: EpochRow[] }) {
  const best = bestEpoch(rows);
  const regression = isRegressionHistory(rows);
  const score = (value: number | null | undefined) =>
    regression ? formatNumber(value) : formatPercent(value);
  const [trainKey, validationKey] = regression
    ? (['mae', 'val_mae'] as const)
    : (['accuracy', 'val_accuracy'] as const);
  const name = regression ? 'mean absolute error' : 'accuracy';
  if (rows.length === 0) return <p class="muted">No epoch has finished yet.</p>;
  return (
    <div class="table-scroll">
      <table class="epochs">
        <thead>
          <tr>
            <th scope="col">Epoch</th>
            <th scope="col">Phase</th>
            <th scope="col">Loss</th>
            <th scope="col">{regression ? 'Mean absolute error' : 'Accuracy'}</th>
            <th scope="col">Validation loss</th>
            <th scope="col">Validation {name}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={`${row.phase}:${row.epoch}`} class={i === best ? 'best' : undefined}>
              <td>
                {row.epoch}
                {i === best && <span class="badge best-badge">best</span>}
              </td>
              <td>{row.phase}</td>
              <td>{formatNumber(row.loss)}</td>
              <td>{score(row[trainKey])}</td>
              <td>{formatNumber(row.val_loss)}</td>
              <td>{score(row[validationKey])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
